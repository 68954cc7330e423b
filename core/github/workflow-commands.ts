import type { Severity } from '#core/errors'

/**
 * GitHub Actions workflow commands (`::error file=…::message`), escaped as the
 * runner expects. A message from a pull request could otherwise end the line
 * and start a command of its own (`%0A::add-mask::`, `\n::stop-commands::`).
 */

/**
 * Escapes the message part of a workflow command: `%`, CR and LF.
 *
 * @example escapeCommandData('50%\n::error::x') // '50%25%0A::error::x'
 */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/**
 * Escapes a property value of a workflow command: as data, plus `:` and `,`
 * which end a property.
 *
 * @example escapeCommandProperty('a,b:c') // 'a%2Cb%3Ac'
 */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export interface Annotation {
  severity: Severity
  message: string
  title?: string
  file?: string
  line?: number
  col?: number
}

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' }

/**
 * One annotation line for the runner's log.
 *
 * @example
 * formatAnnotation({ severity: 'error', message: 'bad', file: 'registry/a.yaml', line: 3, col: 5, title: 'manifest/x' })
 * // '::error file=registry/a.yaml,line=3,col=5,title=manifest/x::bad'
 */
export function formatAnnotation(annotation: Annotation): string {
  const props: string[] = []
  if (annotation.file) props.push(`file=${escapeCommandProperty(annotation.file)}`)
  if (annotation.file && isPosition(annotation.line)) {
    props.push(`line=${annotation.line}`)
    if (isPosition(annotation.col)) props.push(`col=${annotation.col}`)
  }
  if (annotation.title) props.push(`title=${escapeCommandProperty(annotation.title)}`)
  const head = `::${COMMAND[annotation.severity]}${props.length > 0 ? ` ${props.join(',')}` : ''}`
  return `${head}::${escapeCommandData(annotation.message)}`
}

function isPosition(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value > 0
}
