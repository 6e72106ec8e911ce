# Two commands on a fresh machine:
#   make demo   set up a virtual environment and build the demo (store, report, map) in ./demo
#   make test   set up everything the tests need (Neo4j, Chromium) and run the whole suite

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export NEO4J_PASSWORD ?= maillage-test-password
export NEO4J_BOLT_PORT ?= 7687

.PHONY: demo test lint venv neo4j-start neo4j-stop browser bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/maillage demo -o demo

browser:
	scripts/chromium

neo4j-start:
	scripts/neo4j start

neo4j-stop:
	scripts/neo4j stop

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: venv browser lint
	scripts/neo4j start
	MAILLAGE_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_BOLT_PORT) $(BIN)/python -m pytest; status=$$?; scripts/neo4j stop; exit $$status

bench: venv
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) demo .pytest_cache
