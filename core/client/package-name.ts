/**
 * The npm package the client is published as (`npm run build:package`): the
 * `agora` command and this library, installable without a checkout.
 *
 * @example `npm i -g ${CLIENT_PACKAGE_NAME}` // then: agora pull acme/tox-gnn --index https://hub.example
 */
export const CLIENT_PACKAGE_NAME = 'agora-hub'
