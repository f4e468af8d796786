// vpcep's own mark (two endpoints joined), for the console's icon and the
// API documentation page, which would otherwise carry its framework's logo.

export const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
  '<rect width="64" height="64" rx="12" fill="#12263f"/>' +
  '<circle cx="18" cy="32" r="8" fill="#4fa3ff"/><circle cx="46" cy="32" r="8" fill="#f29d0b"/>' +
  '<path d="M26 32h12" stroke="#e8eef6" stroke-width="4" stroke-linecap="round"/></svg>';

export const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 220 48">' +
  '<rect x="2" y="2" width="44" height="44" rx="9" fill="#12263f"/>' +
  '<circle cx="14" cy="24" r="6" fill="#4fa3ff"/><circle cx="34" cy="24" r="6" fill="#f29d0b"/>' +
  '<path d="M20 24h8" stroke="#e8eef6" stroke-width="3" stroke-linecap="round"/>' +
  '<text x="58" y="33" font-family="system-ui,sans-serif" font-size="26" font-weight="700" fill="#ffffff">' +
  'vpcep API</text></svg>';
