"""The backup and restore scripts of the deployment guide, run for real on PostgreSQL."""

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def _url(dbname):
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname}"


@pytest.mark.postgres
def test_backup_then_restore_into_a_fresh_database_keeps_everything(transactional_db, tmp_path):
    household = factories.HouseholdFactory(reference="SAUVEGARDE", name="SAUVEGARDE")
    factories.ChildFactory(household=household, first_name="Élise")
    dump = tmp_path / "espacefamille.dump"
    source = _url(connection.settings_dict["NAME"])
    env = {**os.environ, "DATABASE_URL": source}
    subprocess.run([ROOT / "scripts/backup-db", dump], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert dump.stat().st_size > 0

    fresh = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        subprocess.run(
            [ROOT / "scripts/restore-db", dump, _url(fresh)], cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        with psycopg.connect(_url(fresh)) as restored:
            names = restored.execute(
                "SELECT c.first_name FROM core_child c JOIN core_household h ON h.id = c.household_id "
                "WHERE h.reference = 'SAUVEGARDE'"
            ).fetchall()
            migrations = restored.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        assert names == [("Élise",)]
        assert migrations > 10
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
