# The two front-door commands (see README): `make run` and `make test`.
.PHONY: run setup test bench lint

run:
	bash scripts/run.sh

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

# The checks of .pre-commit-config.yaml: lint, format, migrations in step with the models, import contracts.
lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python manage.py makemigrations --check --dry-run --settings=sxplan_site.settings.test
	.venv/bin/lint-imports

bench:
	bash scripts/bench.sh
