// Examples of the XML answers of the order endpoints, for the OpenAPI document (docs/xml.md says
// how a JSON answer becomes XML).

export const orderedByXmlExample =
  `
    <ordered_by>
      <customer_id>5c1e…</customer_id><external_contact_id>1345</external_contact_id><name>John Doe</name>
      <email>john@example.com</email><phone></phone><company></company>
      <address><line_1>Main Street 10</line_1><line_2></line_2><line_3></line_3><zipcode>59023</zipcode>` +
  `<city>Springfield</city><country_code>SE</country_code></address>
    </ordered_by>`;

export const orderLinesXmlExample =
  `
    <lines>
      <line>
        <id>1402…</id><product_id>18a…</product_id><product_type>facility_slot</product_type>
        <product_name>Tennis 1 hour</product_name><occurrence_id>77d…</occurrence_id><date></date>
        <starts_at>2026-06-29T08:00:00.000Z</starts_at><ends_at>2026-06-29T09:00:00.000Z</ends_at>
        <resource><name>Court 1</name><kind>court</kind></resource>
        <participant_index>0</participant_index><participant_name>Jane Doe</participant_name>
        <description>Tennis 1 hour — Court 1</description><quantity>1</quantity><unit_price>3600</unit_price>` +
  `<discount>0</discount>
        <vat_rate>25</vat_rate><excl_vat>3600</excl_vat><vat>900</vat><incl_vat>4500</incl_vat>
      </line>
    </lines>`;

const summaryXml = (lines: string) =>
  `
  <id>0b7c…</id><number>42</number><status>awaiting_payment</status><currency>nok</currency>
  <totals><before_discounts>3600</before_discounts><discounts>0</discounts><discount_breakdown></discount_breakdown>` +
  `<excl_vat>3600</excl_vat>` +
  `<vat>900</vat><incl_vat>4500</incl_vat></totals>
  <vat_summary><vat><rate>25</rate><base>3600</base><amount>900</amount></vat></vat_summary>${lines}
  <number_of_participants>1</number_of_participants><preliminary_until>2026-06-01T12:30:00.000Z</preliminary_until>
  <payment><method>card</method><requires_redirect>true</requires_redirect><session_id>ps_…</session_id>` +
  `<redirect_url>http://…/psp/sandbox/pay/ps_…</redirect_url></payment>`;

export const orderSummaryXmlExample = `<?xml version="1.0" encoding="UTF-8"?>
<order>${summaryXml(`
  <lines><line><id>1402…</id><product_id>18a…</product_id><occurrence_id>77d…</occurrence_id>…</line></lines>`)}
</order>`;

export const orderDetailsXmlExample = `<?xml version="1.0" encoding="UTF-8"?>
<order>${summaryXml(orderLinesXmlExample)}${orderedByXmlExample}
  <participants><participant><index>0</index><firstname>Jane</firstname>…</participant></participants>
  <payments><payment><id>…</id><kind>charge</kind><status>pending</status><amount>4500</amount>…</payment></payments>
  <documents></documents>
  <timeline><event><type>order.received</type><message>…</message><at>…</at></event></timeline>
  …
</order>`;
