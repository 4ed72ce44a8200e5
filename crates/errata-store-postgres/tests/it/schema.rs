//! Schema parity with the `SQLite` backend: the tables, columns (name, nullability, type
//! family) and named indexes (with their uniqueness) the `SQLite` migration files create
//! are read from `../errata-store-sqlite/migrations/*.sql` at test time, and the migrated
//! `PostgreSQL` database must have exactly those, besides the few indexes listed as
//! `PostgreSQL`-only. A new `SQLite` migration therefore fails this test until it is ported.

use std::collections::BTreeSet;

use errata_store_postgres::PgPool;
use errata_store_postgres::testing::TestDatabase;

/// (table, column, nullable, type family: "integer", "text" or "blob").
type Column = (String, String, bool, &'static str);
/// (index, table, unique).
type Index = (String, String, bool);

/// Indexes only `PostgreSQL` has (`migrations/0003_plan_indexes.sql`): its plans need them,
/// `SQLite`'s do not (`plan.rs` checks they are used).
const POSTGRES_ONLY: &[(&str, &str, bool)] =
    &[("issue_tag_values_key_value", "issue_tag_values", false)];

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
}

/// The statements of every `SQLite` migration, in order, comments removed.
fn sqlite_statements() -> Vec<String> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../errata-store-sqlite/migrations"
    );
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    let mut statements = Vec::new();
    for file in files {
        let sql: String = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .map(|l| l.split_once("--").map_or(l, |(code, _)| code))
            .collect::<Vec<_>>()
            .join("\n");
        statements.extend(
            sql.split(';')
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")),
        );
    }
    statements
}

/// Splits at commas outside parentheses.
fn top_level_items(body: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, ch) in body.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(body[start..].trim());
    items
}

fn sqlite_column(table: &str, definition: &str) -> Column {
    let mut words = definition.split_whitespace();
    let name = words.next().unwrap().to_owned();
    let family = match words.next().unwrap() {
        "INTEGER" => "integer",
        "TEXT" => "text",
        "BLOB" => "blob",
        other => panic!("unknown SQLite type {other} of {table}.{name}"),
    };
    let nullable = !(definition.contains("NOT NULL") || definition.contains("PRIMARY KEY"));
    (table.to_owned(), name, nullable, family)
}

/// What the `SQLite` migrations create, parsed from their SQL.
fn sqlite_schema() -> Schema {
    let mut schema = Schema::default();
    for s in sqlite_statements() {
        if let Some(rest) = s.strip_prefix("CREATE TABLE ") {
            let (table, body) = rest.split_once(" (").unwrap();
            let body = &body[..body.rfind(')').unwrap()];
            schema.tables.insert(table.to_owned());
            for item in top_level_items(body) {
                let first = item.split_whitespace().next().unwrap();
                if !["PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"].contains(&first) {
                    schema.columns.insert(sqlite_column(table, item));
                }
            }
        } else if let Some(rest) = s.strip_prefix("ALTER TABLE ") {
            let (table, column) = rest.split_once(" ADD COLUMN ").unwrap();
            schema.columns.insert(sqlite_column(table, column));
        } else if s.starts_with("CREATE INDEX ") || s.starts_with("CREATE UNIQUE INDEX ") {
            let unique = s.starts_with("CREATE UNIQUE");
            let rest = s.split_once("INDEX ").unwrap().1;
            let (name, rest) = rest.split_once(" ON ").unwrap();
            let table = rest.split_whitespace().next().unwrap();
            schema
                .indexes
                .insert((name.to_owned(), table.to_owned(), unique));
        }
    }
    schema
}

/// What the migrated `PostgreSQL` database has (`schema_migrations` aside), with its
/// indexes that back PRIMARY KEY and UNIQUE constraints left out (`SQLite` names none).
fn postgres_schema(pool: &PgPool) -> Schema {
    pool.with_client(async |c| {
        let mut schema = Schema::default();
        for r in c
            .query(
                "SELECT table_name::TEXT, column_name::TEXT, is_nullable = 'YES', data_type::TEXT
                 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
                &[],
            )
            .await?
        {
            let family = match r.get::<_, &str>(3) {
                "bigint" | "boolean" => "integer",
                "text" => "text",
                "bytea" => "blob",
                other => panic!("unexpected column type {other}"),
            };
            schema.tables.insert(r.get(0));
            schema
                .columns
                .insert((r.get(0), r.get(1), r.get(2), family));
        }
        for r in c
            .query(
                "SELECT i.relname::TEXT, t.relname::TEXT, x.indisunique
                 FROM pg_index x
                 JOIN pg_class i ON i.oid = x.indexrelid
                 JOIN pg_class t ON t.oid = x.indrelid
                 JOIN pg_namespace n ON n.oid = t.relnamespace
                 WHERE n.nspname = 'public' AND t.relname <> 'schema_migrations'
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
                &[],
            )
            .await?
        {
            schema.indexes.insert((r.get(0), r.get(1), r.get(2)));
        }
        Ok(schema)
    })
    .unwrap()
}

#[test]
fn the_sqlite_parser_sees_the_whole_schema() {
    let schema = sqlite_schema();
    assert_eq!(schema.tables.len(), 27, "{:?}", schema.tables);
    assert!(
        schema
            .columns
            .contains(&("issues".into(), "regressed_at_ms".into(), true, "integer"))
    );
    assert!(
        schema
            .columns
            .contains(&("users".into(), "role".into(), false, "text"))
    );
    assert!(
        schema
            .indexes
            .contains(&("events_project_event_id".into(), "events".into(), true))
    );
    assert!(schema.indexes.contains(&(
        "alert_deliveries_channel".into(),
        "alert_deliveries".into(),
        false
    )));
}

#[test]
fn postgres_has_every_table_column_and_index_of_sqlite() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let pool = PgPool::open(&db.config()).unwrap();
    let (sqlite, postgres) = (sqlite_schema(), postgres_schema(&pool));
    assert_eq!(postgres.tables, sqlite.tables);
    let missing: Vec<_> = sqlite.columns.difference(&postgres.columns).collect();
    let extra: Vec<_> = postgres.columns.difference(&sqlite.columns).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    let only: BTreeSet<Index> = POSTGRES_ONLY
        .iter()
        .map(|(i, t, u)| ((*i).to_owned(), (*t).to_owned(), *u))
        .collect();
    assert!(
        only.is_subset(&postgres.indexes),
        "{only:?} in {:?}",
        postgres.indexes
    );
    let shared: BTreeSet<Index> = postgres.indexes.difference(&only).cloned().collect();
    assert_eq!(shared, sqlite.indexes);
}

#[test]
fn text_sorts_by_bytes_as_in_sqlite() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let pool = PgPool::open(&db.config()).unwrap();
    let (other_collations, slugs) = pool
        .with_client(async |c| {
            let other: i64 = c
                .query_one(
                    "SELECT count(*) FROM information_schema.columns
                     WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
                       AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'",
                    &[],
                )
                .await?
                .get(0);
            c.batch_execute(
                "INSERT INTO organizations (slug, name, created_ms)
                 VALUES ('b', '', 0), ('B', '', 0), ('a', '', 0), ('é', '', 0), ('_', '', 0)",
            )
            .await?;
            let slugs: Vec<String> = c
                .query("SELECT slug FROM organizations ORDER BY slug", &[])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            Ok((other, slugs))
        })
        .unwrap();
    assert_eq!(other_collations, 0);
    assert_eq!(slugs, ["B", "_", "a", "b", "é"]);
}
