// How the console shows times and money: times in Asia/Seoul (the zone of
// the tenants Rapport is for, as rapportctl shows them) as ISO-like dates,
// money with the currency's own minor digits (KRW none, USD two) and a
// BigInt, never a float: int64 amounts arrive as JSON strings.

import { lang } from "./i18n";

export const TIME_ZONE = "Asia/Seoul";

const timeFormat = new Intl.DateTimeFormat("sv-SE", {
  timeZone: TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

// "2026-12-07 16:05:09 KST" for an RFC 3339 timestamp; "" when unset.
export function formatTime(rfc3339: string | undefined): string {
  if (!rfc3339) return "";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return `${timeFormat.format(date)} KST`;
}

function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

// "KRW 1,500,000" or "USD 12.50" for a count of minor units.
export function formatMoney(currency: string, units: string | number | undefined): string {
  const value = BigInt(units ?? 0);
  const digits = minorDigits(currency);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const scale = 10n ** BigInt(digits);
  const whole = (abs / scale).toLocaleString("en-US");
  const fraction = digits > 0 ? `.${(abs % scale).toString().padStart(digits, "0")}` : "";
  return `${currency} ${negative ? "-" : ""}${whole}${fraction}`;
}

// A count with the locale's grouping.
export function formatCount(n: string | number | undefined): string {
  return BigInt(n ?? 0).toLocaleString(lang() === "ko" ? "ko-KR" : "en-US");
}

// "MODULE_MODE_ON" -> "on", "LIFECYCLE_STAGE_CUSTOMER" -> "customer": enum
// names without their type prefix, as rapportctl prints them.
export function enumName(value: string | undefined, prefix: string): string {
  if (!value) return "";
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : value;
}

export function splitIds(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
