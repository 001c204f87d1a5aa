#!/usr/bin/env python3
"""The live schema, one file per table and per SQL function (supabase/schemas/), and the proof
that supabase/migrations produce exactly it.

  scripts/schemas.py write   applies supabase/migrations to a scratch database and writes
                             supabase/schemas/ from it: tables/<table>.sql (the table, its
                             sequences, constraints, indexes, row-level security, rights; after
                             a marker line, its foreign keys and triggers), functions/<name>.sql
                             (each function of that name with its rights), schema.sql (the
                             schema's rights and default privileges). Run it after writing a
                             migration, and commit both.
  scripts/schemas.py check   applies the migrations to one scratch database and the files to
                             another, and compares the two catalogs (pg_dump --schema-only of
                             `public`): they must be the same. `make test` runs it.

Migrations stay append-only and are what production applies (`supabase db push`); these files
are where a reader finds the live definition of a table or a function. PostgreSQL: the test
stack's (PGHOST/PGPORT/PGUSER, default 127.0.0.1:55322 postgres); the scratch databases are
dropped afterwards.
"""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "supabase" / "schemas"
MIGRATIONS = ROOT / "supabase" / "migrations"
HOSTED = ROOT / "supabase" / "local" / "hosted_defaults.sql"
AFTER = "-- after every table and function: its foreign keys and triggers"
HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = os.environ.get("PGPORT", "55322")
USER = os.environ.get("PGUSER", "postgres")


def psql(database, *args, stdin=None):
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", PORT, "-U", USER, "-d", database, *args]
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"schemas: psql on {database} failed: {result.stderr.strip()}")
    return result.stdout


def fresh(name):
    psql("postgres", "-c", f"drop database if exists {name}", "-c", f"create database {name}")


def drop(name):
    psql("postgres", "-c", f"drop database if exists {name}")


def from_migrations(name):
    """A database as production has it: hosted Supabase's defaults, then every migration."""
    fresh(name)
    psql(name, "-f", str(HOSTED))
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        psql(name, "-1", "-f", str(migration))


def dump(name):
    command = ["pg_dump", "-h", HOST, "-p", PORT, "-U", USER, "--schema-only", "--no-owner", "-n", "public", name]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"schemas: pg_dump of {name} failed: {result.stderr.strip()}")
    # pg_dump's per-run \restrict key lines differ on every run.
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def entries(text):
    """pg_dump's entries: (name, type, body) for each `-- Name: …; Type: …` header."""
    parts = re.split(r"^--\n-- Name: (.*?); Type: (.*?); Schema: .*?\n--\n", text, flags=re.M)
    for index in range(1, len(parts), 3):
        body = parts[index + 2].split("\n--\n-- PostgreSQL database dump complete")[0].strip()
        yield parts[index], parts[index + 1], body


def home(name, kind, body, sequences):
    """Which file an entry belongs in, and whether it comes after every table and function."""
    if kind == "FUNCTION":
        return f"functions/{name.split('(')[0]}.sql", False
    if kind == "ACL" and name.startswith("FUNCTION "):
        return f"functions/{name[len('FUNCTION '):].split('(')[0]}.sql", False
    if kind in ("SCHEMA", "DEFAULT ACL") or name == "SCHEMA public":
        return "schema.sql", False
    if kind == "ACL" and name.startswith("SEQUENCE "):
        return f"tables/{sequences[name[len('SEQUENCE '):]]}.sql", False
    if kind in ("ACL", "COMMENT") and name.startswith("TABLE "):
        return f"tables/{name[len('TABLE '):]}.sql", False
    if kind == "COMMENT" and name.startswith("COLUMN "):
        return f"tables/{name[len('COLUMN '):].split('.')[0]}.sql", False
    if kind in ("TABLE", "ROW SECURITY"):
        return f"tables/{name}.sql", False
    if kind in ("CONSTRAINT", "FK CONSTRAINT", "TRIGGER"):
        return f"tables/{name.split(' ')[0]}.sql", kind != "CONSTRAINT"
    if kind in ("INDEX", "SEQUENCE"):
        table = re.search(r"(?:ON|ALTER TABLE) (?:ONLY )?public\.(\w+)", body).group(1)
        return f"tables/{table}.sql", False
    sys.exit(f"schemas: no home for {kind} {name}")


def write():
    scratch = "cvety_schemas_write"
    from_migrations(scratch)
    try:
        text = dump(scratch)
    finally:
        drop(scratch)
    listed = list(entries(text))
    sequences = {}
    for name, kind, body in listed:
        if kind == "SEQUENCE":
            sequences[name] = re.search(r"ALTER TABLE (?:ONLY )?public\.(\w+)", body).group(1)
    files = {}
    for name, kind, body in listed:
        if kind == "SCHEMA" or (kind == "COMMENT" and name == "SCHEMA public"):
            continue  # initdb's own public schema: both databases start with it
        path, after = home(name, kind, body, sequences)
        files.setdefault(path, ([], []))[1 if after else 0].append(body)
    for old in list(SCHEMAS.glob("tables/*.sql")) + list(SCHEMAS.glob("functions/*.sql")):
        old.unlink()
    for path, (first, then) in sorted(files.items()):
        target = SCHEMAS / path
        target.parent.mkdir(parents=True, exist_ok=True)
        what = path.split("/")[0].rstrip("s")
        header = (f"-- The live {what} {Path(path).stem}, as supabase/migrations leave it (written by "
                  "scripts/schemas.py write;\n-- change it with a new migration, then write this again).\n")
        if path == "schema.sql":
            header = ("-- The schema's rights and default privileges, as supabase/migrations leave them (written by\n"
                      "-- scripts/schemas.py write; change them with a new migration, then write this again).\n")
        text = header + "\n" + "\n\n".join(first) + "\n"
        if then:
            text += f"\n{AFTER}\n\n" + "\n\n".join(then) + "\n"
        target.write_text(text)
    print(f"schemas: wrote {len(files)} files under {SCHEMAS.relative_to(ROOT)}")


def from_files(name):
    """A database from supabase/schemas alone: tables, functions, then keys and triggers, then rights."""
    fresh(name)
    tables = sorted(SCHEMAS.glob("tables/*.sql"))
    first = [path.read_text().split(AFTER)[0] for path in tables]
    then = [path.read_text().split(AFTER)[1] for path in tables if AFTER in path.read_text()]
    functions = [path.read_text() for path in sorted(SCHEMAS.glob("functions/*.sql"))]
    script = "\n".join(["SET check_function_bodies = false;", *first, *functions, *then,
                        (SCHEMAS / "schema.sql").read_text()])
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script)
        file.flush()
        psql(name, "-1", "-f", file.name)


def check():
    migrations, files = "cvety_schemas_migrations", "cvety_schemas_files"
    try:
        from_migrations(migrations)
        from_files(files)
        left, right = dump(migrations), dump(files)
    finally:
        drop(migrations)
        drop(files)
    if left != right:
        import difflib
        diff = difflib.unified_diff(right.splitlines(), left.splitlines(), "supabase/schemas", "supabase/migrations",
                                    lineterm="", n=2)
        print("\n".join(list(diff)[:200]))
        sys.exit("schemas: supabase/migrations and supabase/schemas differ (above); "
                 "write a migration for the change, then run scripts/schemas.py write")
    count = len(list(SCHEMAS.glob("tables/*.sql"))) + len(list(SCHEMAS.glob("functions/*.sql")))
    print(f"schemas: supabase/migrations produce exactly supabase/schemas ({count} files)")


if __name__ == "__main__":
    {"write": write, "check": check}.get(sys.argv[1] if len(sys.argv) > 1 else "", lambda: sys.exit(__doc__))()
