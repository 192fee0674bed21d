// Ordering, sign and display of the API's decimal strings ("251.20", "-0.5"), handled digit by
// digit so that no value is rounded through a float. Display helpers only: the UI does no
// arithmetic.

const kDecimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)$/;

// Returns {negative, integer, fraction} with insignificant zeros removed, or null when `value` is
// not a plain decimal (null, "", "n/a", exponents).
function parse_decimal(value) {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (!kDecimalPattern.test(text)) return null;
  let negative = text.startsWith('-');
  const unsigned = text.replace(/^[+-]/, '');
  const [integer_part, fraction_part = ''] = unsigned.split('.');
  const integer = integer_part.replace(/^0+/, '');
  const fraction = fraction_part.replace(/0+$/, '');
  if (integer === '' && fraction === '') negative = false;  // "-0.00" is zero
  return { negative, integer, fraction };
}

function compare_magnitude(a, b) {
  if (a.integer.length !== b.integer.length) return a.integer.length < b.integer.length ? -1 : 1;
  if (a.integer !== b.integer) return a.integer < b.integer ? -1 : 1;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(width, '0');
  const fb = b.fraction.padEnd(width, '0');
  if (fa === fb) return 0;
  return fa < fb ? -1 : 1;
}

// Returns -1, 0 or 1. Values that are not decimals sort after every decimal.
export function compare_decimal(a, b) {
  const pa = parse_decimal(a);
  const pb = parse_decimal(b);
  if (!pa || !pb) {
    if (pa) return -1;
    if (pb) return 1;
    return String(a ?? '').localeCompare(String(b ?? ''));
  }
  if (pa.negative !== pb.negative) return pa.negative ? -1 : 1;
  const magnitude = compare_magnitude(pa, pb);
  return pa.negative ? -magnitude : magnitude;
}

// Returns -1, 0 or 1 for a decimal string, 0 for anything that is not a decimal.
export function decimal_sign(value) {
  const parsed = parse_decimal(value);
  if (!parsed || (parsed.integer === '' && parsed.fraction === '')) return 0;
  return parsed.negative ? -1 : 1;
}

// `value` rounded (half away from zero) to exactly `places` decimals, digit by digit: "64000.125"
// at 2 -> "64000.13", "0.5" at 3 -> "0.500". A value that is not a decimal, or places that are
// not a number (an instrument whose rules are unknown: null), is shown as it came.
export function format_decimal(value, places) {
  if (!Number.isInteger(places) || places < 0) return value === null || value === undefined ? '' : String(value);
  const parsed = parse_decimal(value);
  if (!parsed) return value === null || value === undefined ? '' : String(value);
  const fraction = parsed.fraction.padEnd(places + 1, '0');
  let digits = (parsed.integer || '0') + fraction.slice(0, places);
  if (fraction[places] >= '5') {
    // Adds one unit in the last kept place, carrying through the nines.
    const chars = digits.split('');
    let i = chars.length - 1;
    while (i >= 0 && chars[i] === '9') chars[i--] = '0';
    if (i < 0) chars.unshift('1'); else chars[i] = String(Number(chars[i]) + 1);
    digits = chars.join('');
  }
  const integer = digits.slice(0, digits.length - places).replace(/^0+(?=\d)/, '') || '0';
  const kept = digits.slice(digits.length - places);
  const zero = /^0*$/.test(integer + kept);
  const text = places > 0 ? `${integer}.${kept}` : integer;
  return parsed.negative && !zero ? `-${text}` : text;
}

// An amount of money for display: to the cent.
export function format_money(value) {
  return format_decimal(value, 2);
}
