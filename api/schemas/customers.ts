import { z } from '@hono/zod-openapi';
import type { CustomerAddressPatch } from '../../domain/customer-address';
import type { SameType } from '../../domain/same-type';
import { problemSchema } from './common';

// Shapes of /v1/customers (docs/api-examples.md, "Customers"). Shape failures are 400s; whether an
// email is plausible and a country code assigned are business checks in the route (422), as for
// orders.

const text = (max: number) => z.string().max(max);
/** A part of an address, or null: in a create that is "none", in a PATCH "clear it". */
const part = (max: number) => text(max).nullable().optional();

const addressInput = z
  .strictObject({
    name: part(200).openapi({ description: 'Who receives it (a person or a department)', example: 'Erik Eriksson' }),
    company_name: part(200).openapi({ example: 'My Company' }),
    care_of: part(200).openapi({ description: 'c/o', example: 'Anna Berg' }),
    line_1: part(200).openapi({ example: 'Ekvägen 12' }),
    line_2: part(200),
    line_3: part(200),
    zipcode: part(20).openapi({ example: '120 35' }),
    city: part(100).openapi({ example: 'Tyresö' }),
    country_code: z
      .string()
      .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 in upper case, e.g. "SE"')
      .nullable()
      .optional()
      .openapi({ description: 'ISO 3166-1 alpha-2, e.g. `SE`; an unassigned code is `422 country_code_unknown`' }),
  })
  .openapi({
    description:
      'In a create: the parts there are. In a PATCH: a JSON merge patch — a part left out stays, `null` clears it',
  });

const addressInputMatchesDomain: SameType<z.infer<typeof addressInput>, CustomerAddressPatch> = true;
void addressInputMatchesDomain;

// Inline rather than a named component: the generator drops the null of a nullable $ref, and a
// union with null would report a wrong part as a wrong address instead of naming the part.
const addressOrNull = (description: string) => addressInput.nullable().optional().openapi({ description });

const email = text(254).openapi({
  description: 'Unique per tenant regardless of case; stored in lower case',
  example: 'jane@example.com',
});
const name = text(200).openapi({ example: 'Jane Doe' });
const phone = text(40).openapi({ example: '+4712345678' });
const externalContactId = z
  .string()
  .min(1)
  .max(100)
  .openapi({ description: "The customer's id in your system", example: '47403' });

export const customerCreateSchema = z
  .strictObject({
    email,
    name: name.optional(),
    phone: phone.nullable().optional(),
    external_contact_id: externalContactId.nullable().optional(),
    billing_address: addressOrNull('Where invoices go'),
    delivery_address: addressOrNull('Where things are sent'),
  })
  .openapi('CustomerCreate');

export const customerPatchSchema = z
  .strictObject({
    email: email.optional().openapi({ description: "A new email; `409 customer_email_taken` if it is another's" }),
    name: name.optional(),
    phone: phone.nullable().optional(),
    external_contact_id: externalContactId.nullable().optional(),
    billing_address: addressOrNull('Merged into the billing address; `null` removes it'),
    delivery_address: addressOrNull('Merged into the delivery address; `null` removes it'),
  })
  .openapi('CustomerPatch', {
    description: 'A JSON merge patch (RFC 7396): a field left out stays as it is, `null` clears a nullable one',
  });

const nullableText = z.string().nullable();

export const customerAddressSchema = z
  .object({
    name: nullableText,
    company_name: nullableText,
    care_of: nullableText,
    line_1: nullableText,
    line_2: nullableText,
    line_3: nullableText,
    zipcode: nullableText,
    city: nullableText,
    country_code: nullableText,
  })
  .openapi('CustomerAddress', { description: 'Every part, missing ones null' });

const addressOutput = (description: string) =>
  z.union([customerAddressSchema, z.null()]).openapi({ description: `${description}, or null` });

export const customerSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    external_contact_id: z
      .string()
      .nullable()
      .openapi({
        description:
          "The customer's id in your system: as set through the API, else the `external_contact_id` of the " +
          'first order that named them as booker',
      }),
    billing_address: addressOutput('The billing address'),
    delivery_address: addressOutput('The delivery address'),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Customer');

export const customerConflictSchema = problemSchema
  .extend({
    customer_id: z.string().uuid().optional().openapi({
      description: 'The customer that has the email (absent only if it moved to another email at that very moment)',
    }),
  })
  .openapi('CustomerConflict');
