import type { BusinessError } from './business-error';
import { isCountryCode } from './country-codes';
import type { OrderAddress } from './order-request';

// A customer's billing or delivery address. The parts are the order's address (line_1–3, zipcode,
// city, country_code: an order's invoice or delivery address copies over unchanged) plus who
// receives it — name, company_name and care_of, as the subscription platform's billing and
// delivery addresses have them. Pure; used by the API and the customer queries.

export const CUSTOMER_ADDRESS_PARTS = [
  'name',
  'company_name',
  'care_of',
  'line_1',
  'line_2',
  'line_3',
  'zipcode',
  'city',
  'country_code',
] as const;

export type CustomerAddressPart = (typeof CUSTOMER_ADDRESS_PARTS)[number];

/** An address as stored: only the parts that are there. */
export type CustomerAddress = Partial<Record<CustomerAddressPart, string>>;

/** A JSON merge patch (RFC 7396) of an address: text sets a part, null (or blank text) clears it, absent keeps it. */
export type CustomerAddressPatch = Partial<Record<CustomerAddressPart, string | null>>;

/** Every part, missing ones null: the shape the API answers with. */
export type PresentedAddress = Record<CustomerAddressPart, string | null>;

/** The patch with text trimmed and blank text as null (cleared). */
export function trimAddressPatch(patch: CustomerAddressPatch): CustomerAddressPatch {
  const trimmed: CustomerAddressPatch = {};
  for (const part of CUSTOMER_ADDRESS_PARTS) {
    const value = patch[part];
    if (value === undefined) continue;
    const text = value?.trim() ?? '';
    trimmed[part] = text === '' ? null : text;
  }
  return trimmed;
}

/** The parts given (a new address, or one that replaces none): null when nothing is left. */
export function addressOf(patch: CustomerAddressPatch | null | undefined): CustomerAddress | null {
  if (!patch) return null;
  const address: CustomerAddress = {};
  for (const [part, value] of Object.entries(trimAddressPatch(patch)))
    if (value !== null && value !== undefined) address[part as CustomerAddressPart] = value;
  return Object.keys(address).length > 0 ? address : null;
}

/** A stored address (any JSON) as the API shows it, or null when it has no part. */
export function presentAddress(value: unknown): PresentedAddress | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const address = Object.fromEntries(
    CUSTOMER_ADDRESS_PARTS.map((part) => [part, typeof record[part] === 'string' ? record[part] : null]),
  ) as PresentedAddress;
  return Object.values(address).some((v) => v !== null) ? address : null;
}

/** Business checks of an address the API was given (its shape is checked already). */
export function addressErrors(field: string, patch: CustomerAddressPatch | null | undefined): BusinessError[] {
  const country = patch?.country_code;
  if (typeof country !== 'string' || isCountryCode(country)) return [];
  return [
    {
      code: 'country_code_unknown',
      message: `"${country}" is not an assigned ISO 3166-1 alpha-2 country code`,
      field: `${field}.country_code`,
    },
  ];
}

/**
 * An order's invoice or delivery address as a customer address, or null when the order gave no
 * address parts (a recipient alone is no address). Kept for the booker's customer when it has none.
 */
export function addressFromOrder(
  address: OrderAddress | undefined,
  recipient: { name?: string | null; company_name?: string | null },
): CustomerAddress | null {
  const parts = addressOf(address ?? null);
  return parts ? addressOf({ ...recipient, ...parts }) : null;
}
