#!/usr/bin/env bash
# Until the first release the schema lives in one migration; regenerate it from the models.
# After a release, add new revisions instead (python -c "import storage.migrate as m; m.autogenerate(URL, MSG)").
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f storage/migrations/versions/0001_initial.py
python -c "import storage.migrate as m; m.autogenerate('sqlite+aiosqlite:///$tmp/gen.db', 'initial schema')"
f=$(ls storage/migrations/versions/*_initial_schema.py)
rev=$(basename "$f" | cut -d_ -f1)
sed -i "s/'$rev'/'0001'/; s/^Revision ID: $rev/Revision ID: 0001/; /^Create Date:/d" "$f"
mv "$f" storage/migrations/versions/0001_initial.py
ruff format -q storage/migrations/versions/0001_initial.py
ruff check -q --fix storage/migrations/versions/0001_initial.py || true
rm -rf "$tmp"
