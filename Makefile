# The two commands of the README:
#   make run   set up .venv, train models/default if it is missing, extract events from the seed article
#   make test  set up .venv and run the test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
SITREP := $(VENV)/bin/sitrep
# run trains (train); test runs every command, so it needs every extra of pyproject.toml
EXTRAS := train,serve,plots,scale,onnx,test

.PHONY: run test setup model clean-model

run: $(STAMP) models/default/model.safetensors
	$(SITREP) extract --model models/default --format pretty seeds/000_e5aaf2822eefe5aa.txt

test: $(STAMP)
	$(VENV)/bin/python -m pytest

setup: $(STAMP)

# torch first and pinned: the CPU build lies on this machine's disk; an unpinned torch pulls a CUDA build of GBs
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet torch==2.13.0
	$(VENV)/bin/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

models/default/model.safetensors: | $(STAMP)
	$(SITREP) train --config configs/default.yaml

model: models/default/model.safetensors

clean-model:
	rm -rf models/default runs/default
