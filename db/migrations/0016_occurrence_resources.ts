import { type Kysely, sql } from 'kysely';

// What a dated occurrence uses: the court, room or employee a facility booking takes (the facility
// platform's order rows name it). One optional resource per occurrence, name and kind, both or
// neither; a resource calendar of its own (availability across occurrences) is not modelled.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('occurrences')
    .addColumn('resource_name', 'text', (c) => c.check(sql`char_length(resource_name) BETWEEN 1 AND 200`))
    .addColumn('resource_kind', 'text', (c) =>
      c.check(sql`resource_kind IN ('room', 'court', 'employee', 'equipment', 'other')`),
    )
    .execute();
  await db.schema
    .alterTable('occurrences')
    .addCheckConstraint('occurrences_resource_complete', sql`(resource_name IS NULL) = (resource_kind IS NULL)`)
    .execute();
}

// Dropping the columns drops the constraint on them.
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('occurrences').dropColumn('resource_kind').dropColumn('resource_name').execute();
}
