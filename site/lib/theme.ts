/**
 * Runs before first paint so a stored theme choice applies without a flash.
 * Kept as a string so the layout can inline it and hash it for the CSP.
 */
export const THEME_SCRIPT =
  "try{var t=localStorage.getItem('agora-theme');if(t==='dark'||t==='light')document.documentElement.dataset.theme=t}catch(e){}"
