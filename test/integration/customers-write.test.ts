import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// POST and PATCH /v1/customers through the real API: addresses, merge-patch semantics, the unique
// email (409 with the existing customer), validation as for orders, tenant isolation, and how
// orders connect to (and fill, never overwrite) a customer kept through the API.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

const EMPTY_ADDRESS = {
  name: null,
  company_name: null,
  care_of: null,
  line_1: null,
  line_2: null,
  line_3: null,
  zipcode: null,
  city: null,
  country_code: null,
};

function send(method: string, path: string, body?: unknown, key?: string, contentType = 'application/json') {
  return fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': key ?? tenant.apiKey, ...(body === undefined ? {} : { 'Content-Type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const create = (body: unknown, key?: string) => send('POST', '/v1/customers', body, key);
const patch = (id: string, body: unknown, key?: string) => send('PATCH', `/v1/customers/${id}`, body, key);

async function created(body: Record<string, unknown>, key?: string) {
  const response = await create(body, key);
  const json = await jsonOf(response);
  expect(response.status, JSON.stringify(json)).toBe(201);
  expect(response.headers.get('location')).toBe(`/v1/customers/${json.id}`);
  return json;
}

async function ok(path: string, key?: string) {
  const response = await send('GET', path, undefined, key);
  const json = await jsonOf(response);
  expect(response.status, JSON.stringify(json)).toBe(200);
  return json;
}

async function expectProblem(response: Response, status: number, code: string) {
  const body = await jsonOf(response);
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(body).toMatchObject({ status, code });
  return body;
}

let seq = 0;
const uniqueEmail = (name: string) => `${name}.${Date.now()}.${seq++}@example.com`;

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  const ticket = await createProduct(db, tenant.id, { price: 0, vatRateBp: 0, type: 'ticket', name: 'Meetup' });
  occurrenceId = await createOccurrence(db, tenant.id, ticket, { capacity: 200, name: 'Meetup' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

describe('POST /v1/customers', () => {
  it('creates a customer with billing and delivery addresses: 201, Location, read back by id and listed', async () => {
    const body = await created({
      email: '  Jane.Doe@Example.COM ',
      name: 'Jane Doe',
      phone: '+4712345678',
      external_contact_id: '47403',
      billing_address: {
        name: 'Jane Doe',
        company_name: 'Example AS',
        care_of: null,
        line_1: 'Storgata 1',
        zipcode: '0155',
        city: 'Oslo',
        country_code: 'NO',
      },
      delivery_address: { line_1: 'Ekvägen 12', zipcode: '120 35', city: 'Tyresö', country_code: 'SE' },
    });
    expect(body).toEqual({
      id: expect.any(String),
      email: 'jane.doe@example.com',
      name: 'Jane Doe',
      phone: '+4712345678',
      external_contact_id: '47403',
      billing_address: {
        ...EMPTY_ADDRESS,
        name: 'Jane Doe',
        company_name: 'Example AS',
        line_1: 'Storgata 1',
        zipcode: '0155',
        city: 'Oslo',
        country_code: 'NO',
      },
      delivery_address: {
        ...EMPTY_ADDRESS,
        line_1: 'Ekvägen 12',
        zipcode: '120 35',
        city: 'Tyresö',
        country_code: 'SE',
      },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const details = await ok(`/v1/customers/${body.id}`);
    expect(details).toMatchObject({ ...body, orders: [], more_orders: false });
    const listed = await ok('/v1/customers?email=JANE.DOE@example.com');
    expect(listed.data).toEqual([body]);
    expect((await ok('/v1/customers?external_contact_id=47403')).data.map((c: { id: string }) => c.id)).toEqual([
      body.id,
    ]);
  });

  it('needs only an email; absent details are null and an address with no part is none', async () => {
    const email = uniqueEmail('bare');
    const body = await created({ email, billing_address: { care_of: '  ', city: null }, delivery_address: null });
    expect(body).toMatchObject({
      email,
      name: '',
      phone: null,
      external_contact_id: null,
      billing_address: null,
      delivery_address: null,
    });
  });

  it("answers 409 customer_email_taken with the existing customer's id and Location, whatever the case", async () => {
    const email = uniqueEmail('taken');
    const first = await created({ email, name: 'First' });
    const response = await create({ email: email.toUpperCase(), name: 'Second' });
    const problem = await expectProblem(response, 409, 'customer_email_taken');
    expect(problem.customer_id).toBe(first.id);
    expect(response.headers.get('location')).toBe(`/v1/customers/${first.id}`);
    // Nothing changed: the first customer is as it was.
    expect((await ok(`/v1/customers/${first.id}`)).name).toBe('First');
  });

  it('creates one customer when the same create is sent ten times at once', async () => {
    const email = uniqueEmail('race');
    const responses = await Promise.all(Array.from({ length: 10 }, () => create({ email, name: 'Race' })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    const bodies = await Promise.all(responses.map(jsonOf));
    const id = bodies.find((b) => b.id)!.id;
    expect(bodies.filter((b) => b.code).every((b) => b.customer_id === id)).toBe(true);
    expect((await ok(`/v1/customers?email=${encodeURIComponent(email)}`)).data).toHaveLength(1);
  });

  it('refuses bad shapes with 400 validation_failed, naming each field', async () => {
    const missing = await expectProblem(await create({ name: 'No email' }), 400, 'validation_failed');
    expect(missing.errors).toContainEqual(expect.objectContaining({ code: 'field_required', field: 'email' }));
    const unknown = await expectProblem(
      await create({ email: uniqueEmail('u'), nickname: 'x', billing_address: { street: 'Main St 1' } }),
      400,
      'validation_failed',
    );
    expect(unknown.errors.map((e: { field: string; code: string }) => [e.field, e.code])).toEqual(
      expect.arrayContaining([
        ['nickname', 'unknown_field'],
        ['billing_address.street', 'unknown_field'],
      ]),
    );
    const types = await expectProblem(
      await create({
        email: uniqueEmail('t'),
        name: 42,
        phone: 'x'.repeat(41),
        billing_address: { country_code: 'se' },
      }),
      400,
      'validation_failed',
    );
    expect(types.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['name', 'phone', 'billing_address.country_code']),
    );
    await expectProblem(await create({ email: 'x@example.com', external_contact_id: '' }), 400, 'validation_failed');
    await expectProblem(await create('{"email": '), 400, 'malformed_body');
    await expectProblem(await create([{ email: 'x@example.com' }]), 400, 'validation_failed');
  });

  it('refuses NUL bytes and other control characters (400 control_character), storing nothing', async () => {
    const email = uniqueEmail('nul');
    const problem = await expectProblem(
      await create({ email, name: 'Jane\u0000Doe', billing_address: { city: 'Os\u0007lo' } }),
      400,
      'control_character',
    );
    expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(['name', 'billing_address.city']);
    expect((await ok(`/v1/customers?email=${encodeURIComponent(email)}`)).data).toEqual([]);
  });

  it('refuses a malformed email or an unassigned country code with 422 and every error at once', async () => {
    const one = await expectProblem(await create({ email: 'not-an-email' }), 422, 'customer_email_invalid');
    expect(one.errors).toEqual([expect.objectContaining({ code: 'customer_email_invalid', field: 'email' })]);
    await expectProblem(
      await create({ email: uniqueEmail('c'), delivery_address: { country_code: 'UK' } }),
      422,
      'country_code_unknown',
    );
    const several = await expectProblem(
      await create({ email: 'a@b', billing_address: { country_code: 'XX' }, delivery_address: { country_code: 'ZZ' } }),
      422,
      'customer_invalid',
    );
    expect(several.errors.map((e: { code: string; field: string }) => [e.code, e.field])).toEqual([
      ['customer_email_invalid', 'email'],
      ['country_code_unknown', 'billing_address.country_code'],
      ['country_code_unknown', 'delivery_address.country_code'],
    ]);
  });

  it('needs orders:write', async () => {
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    await expectProblem(await create({ email: uniqueEmail('scope') }, readOnly), 403, 'missing_scope');
    const someone = await created({ email: uniqueEmail('scoped') });
    await expectProblem(await patch(someone.id, { name: 'x' }, readOnly), 403, 'missing_scope');
  });
});

describe('PATCH /v1/customers/{id}', () => {
  it('merges: absent fields stay, null clears, an address changes only the parts it names', async () => {
    const customer = await created({
      email: uniqueEmail('merge'),
      name: 'Erik Eriksson',
      phone: '+46701234567',
      external_contact_id: 'E-1',
      billing_address: { name: 'Erik Eriksson', care_of: 'Anna Berg', line_1: 'Ekvägen 12', city: 'Tyresö' },
      delivery_address: { line_1: 'Ekvägen 12', city: 'Tyresö', country_code: 'SE' },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await patch(customer.id, {
      phone: null,
      billing_address: { care_of: null, zipcode: '120 35', country_code: 'SE' },
      delivery_address: null,
    });
    const changed = await jsonOf(response);
    expect(response.status, JSON.stringify(changed)).toBe(200);
    expect(changed).toEqual({
      ...customer,
      phone: null,
      billing_address: {
        ...EMPTY_ADDRESS,
        name: 'Erik Eriksson',
        line_1: 'Ekvägen 12',
        zipcode: '120 35',
        city: 'Tyresö',
        country_code: 'SE',
      },
      delivery_address: null,
      updated_at: expect.any(String),
    });
    expect(Date.parse(changed.updated_at)).toBeGreaterThan(Date.parse(customer.updated_at));
    expect(await ok(`/v1/customers/${customer.id}`)).toMatchObject(changed);

    // Clearing every part of an address leaves none; a new one starts from nothing.
    const cleared = await jsonOf(
      await patch(customer.id, {
        billing_address: { name: null, line_1: null, zipcode: null, city: null, country_code: null },
        delivery_address: { city: 'Oslo' },
        external_contact_id: null,
        name: 'Erik E.',
      }),
    );
    expect(cleared).toMatchObject({
      name: 'Erik E.',
      external_contact_id: null,
      billing_address: null,
      delivery_address: { ...EMPTY_ADDRESS, city: 'Oslo' },
    });
  });

  it('changes nothing with an empty body or no body, also as application/merge-patch+json', async () => {
    const customer = await created({ email: uniqueEmail('empty'), name: 'Same' });
    expect(await jsonOf(await patch(customer.id, {}))).toEqual(customer);
    expect(await jsonOf(await send('PATCH', `/v1/customers/${customer.id}`))).toEqual(customer);
    const merge = await send(
      'PATCH',
      `/v1/customers/${customer.id}`,
      { name: 'Merged' },
      undefined,
      'application/merge-patch+json',
    );
    expect(merge.status).toBe(200);
    expect((await jsonOf(merge)).name).toBe('Merged');
  });

  it('changes the email unless another customer has it (409 with theirs)', async () => {
    const a = await created({ email: uniqueEmail('a') });
    const b = await created({ email: uniqueEmail('b') });
    const response = await patch(a.id, { email: b.email.toUpperCase() });
    const problem = await expectProblem(response, 409, 'customer_email_taken');
    expect(problem.customer_id).toBe(b.id);
    expect(response.headers.get('location')).toBe(`/v1/customers/${b.id}`);
    expect((await ok(`/v1/customers/${a.id}`)).email).toBe(a.email);

    // Its own email in another case is no conflict.
    expect((await jsonOf(await patch(a.id, { email: a.email.toUpperCase() }))).email).toBe(a.email);
    const moved = uniqueEmail('moved');
    expect((await jsonOf(await patch(a.id, { email: ` ${moved.toUpperCase()} ` }))).email).toBe(moved);
    expect(
      (await ok(`/v1/customers?email=${encodeURIComponent(moved)}`)).data.map((c: { id: string }) => c.id),
    ).toEqual([a.id]);
    await expectProblem(await patch(a.id, { email: 'nope' }), 422, 'customer_email_invalid');
  });

  it('validates as a create does: shapes 400, nulls where none is allowed 400, country codes 422', async () => {
    const customer = await created({ email: uniqueEmail('v') });
    const bad = await expectProblem(
      await patch(customer.id, { email: null, name: null, id: 'x', billing_address: { zipcode: 1234 } }),
      400,
      'validation_failed',
    );
    expect(bad.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['email', 'name', 'id', 'billing_address.zipcode']),
    );
    await expectProblem(
      await patch(customer.id, { billing_address: { country_code: 'QZ' } }),
      422,
      'country_code_unknown',
    );
    await expectProblem(await patch(customer.id, { name: 'a\u0000' }), 400, 'control_character');
    expect(await ok(`/v1/customers/${customer.id}`)).toMatchObject(customer);
  });

  it('lands two PATCHes at once of different parts of one address', async () => {
    const customer = await created({ email: uniqueEmail('concurrent'), billing_address: { city: 'Oslo' } });
    const results = await Promise.all([
      patch(customer.id, { billing_address: { line_1: 'Storgata 1' } }),
      patch(customer.id, { billing_address: { zipcode: '0155' } }),
      patch(customer.id, { phone: '12345678' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await ok(`/v1/customers/${customer.id}`)).toMatchObject({
      phone: '12345678',
      billing_address: { line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo' },
    });
  });

  it("keeps tenants apart: another tenant's customer is 404, and it may have the same email", async () => {
    const ours = await created({ email: uniqueEmail('tenancy'), name: 'Ours' });
    await expectProblem(await patch(ours.id, { name: 'Hijacked' }, other.apiKey), 404, 'not_found');
    await expectProblem(await send('GET', `/v1/customers/${ours.id}`, undefined, other.apiKey), 404, 'not_found');
    const theirs = await created({ email: ours.email, name: 'Theirs' }, other.apiKey);
    expect(theirs.id).not.toBe(ours.id);
    // Their customer's email is no conflict here.
    const mine = await created({ email: uniqueEmail('mine') });
    expect((await jsonOf(await patch(mine.id, { name: 'Mine' }))).name).toBe('Mine');
    expect((await ok(`/v1/customers/${ours.id}`)).name).toBe('Ours');
    await expectProblem(await patch(crypto.randomUUID(), { name: 'x' }), 404, 'not_found');
    await expectProblem(await patch('not-a-uuid', { name: 'x' }), 404, 'not_found');
  });
});

describe('customers and orders', () => {
  it("connects an order's booker to the customer kept through the API, without overwriting it", async () => {
    const email = uniqueEmail('kept');
    const customer = await created({
      email,
      name: 'Kept Name',
      phone: '11111111',
      external_contact_id: 'K-1',
      billing_address: { line_1: 'Kept street 1', zipcode: '0001', city: 'Oslo', country_code: 'NO' },
    });
    const order = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'Other Name', email: email.toUpperCase(), phone: '22222222' },
      external_contact_id: 'K-2',
      invoice: { address: { line_1: 'Order street 9', zipcode: '9999', city: 'Bergen' } },
      lines: [
        {
          occurrence_id: occurrenceId,
          participants: [
            {
              firstname: 'Kid',
              lastname: 'Kept',
              email: uniqueEmail('kid'),
              home_address: { line_1: 'Home 1', zipcode: '0002', city: 'Oslo', country_code: 'NO' },
            },
          ],
        },
      ],
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const details = await ok(`/v1/customers/${customer.id}`);
    expect(details).toMatchObject({
      name: 'Kept Name',
      phone: '11111111',
      external_contact_id: 'K-1',
      billing_address: { line_1: 'Kept street 1', city: 'Oslo' },
      delivery_address: null,
    });
    expect(details.orders.map((o: { id: string; roles: string[] }) => [o.id, o.roles])).toEqual([
      [order.body.id, ['booker']],
    ]);
    const row = await stack.database.db
      .selectFrom('orders')
      .select('customer_id')
      .where('id', '=', order.body.id)
      .executeTakeFirstOrThrow();
    expect(row.customer_id).toBe(customer.id);

    // The order shows its participants' addresses and their customer records.
    const read = await client.getOrder(order.body.id);
    expect(read.status).toBe(200);
    expect(read.body.ordered_by.customer_id).toBe(customer.id);
    const [kid] = read.body.participants;
    expect(kid.home_address).toEqual({
      line_1: 'Home 1',
      line_2: null,
      line_3: null,
      zipcode: '0002',
      city: 'Oslo',
      country_code: 'NO',
    });
    expect(kid.work_address).toBeNull();
    const kidCustomer = await ok(`/v1/customers/${kid.customer_id}`);
    expect(kidCustomer.email).toBe(kid.email.toLowerCase());
    expect(kidCustomer.orders.map((o: { roles: string[] }) => o.roles)).toEqual([['participant']]);
  });

  it("keeps a new booker's phone and addresses from the first order; a later order changes none", async () => {
    const email = uniqueEmail('booker');
    const first = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'New Booker', email, phone: '33333333' },
      company: { name: 'Booker AS' },
      invoice: {
        firstname: 'Inv',
        lastname: 'Oice',
        address: { line_1: 'Fakturaveien 1', zipcode: '0150', city: 'Oslo', country_code: 'NO' },
      },
      delivery: { name: 'Goods In', address: { line_1: 'Lager 2', city: 'Drammen' } },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const [customer] = (await ok(`/v1/customers?email=${encodeURIComponent(email)}`)).data;
    expect(customer).toMatchObject({
      name: 'New Booker',
      phone: '33333333',
      billing_address: {
        ...EMPTY_ADDRESS,
        name: 'Inv Oice',
        company_name: 'Booker AS',
        line_1: 'Fakturaveien 1',
        zipcode: '0150',
        city: 'Oslo',
        country_code: 'NO',
      },
      delivery_address: { ...EMPTY_ADDRESS, name: 'Goods In', line_1: 'Lager 2', city: 'Drammen' },
    });

    const second = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'Renamed', email, phone: '44444444' },
      invoice: { address: { line_1: 'Elsewhere 5', city: 'Trondheim' } },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const after = await ok(`/v1/customers/${customer.id}`);
    expect(after).toMatchObject({
      name: customer.name,
      phone: customer.phone,
      billing_address: customer.billing_address,
      delivery_address: customer.delivery_address,
    });
    expect(after.orders).toHaveLength(2);
  });

  it('answers 409 for an email an order made a customer of; a PATCH then completes that customer', async () => {
    const email = uniqueEmail('implicit');
    const order = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'Implicit', email },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const response = await create({ email, name: 'Explicit', billing_address: { city: 'Oslo' } });
    const problem = await expectProblem(response, 409, 'customer_email_taken');
    const id = problem.customer_id;
    const changed = await jsonOf(await patch(id, { phone: '55555555', billing_address: { city: 'Oslo' } }));
    expect(changed).toMatchObject({
      name: 'Implicit',
      phone: '55555555',
      billing_address: { ...EMPTY_ADDRESS, city: 'Oslo' },
    });
    expect((await ok(`/v1/customers/${id}`)).orders.map((o: { id: string }) => o.id)).toEqual([order.body.id]);
  });
});
