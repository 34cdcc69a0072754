import pytest

from inference.ontology import Ontology, OntologyError


def test_project_ontology_has_core_types(ontology):
    assert ontology.type_names == ("Ambush", "Retreat", "Coup", "Statement")
    assert ontology.allowed("Retreat", "Destination")
    assert not ontology.allowed("Statement", "Place")


def test_roundtrip_dict(ontology):
    assert Ontology.from_dict(ontology.to_dict()) == ontology


@pytest.mark.parametrize("content, message", [
    ("roles: {A: x}\nevent_types: {T: {description: d, roles: [B]}}\n", "'B' is not declared"),
    ("roles: {A: x}\n", "'event_types' must be"),
    ("roles: {A: x}\nevent_types: {T: {description: d, roles: [A]}}\nextra: 1\n", "unknown top-level"),
    ("roles: {A: x}\nevent_types: {T: {description: d, roles: [A, A]}}\n", "listed twice"),
    ("roles: [unclosed\n", "not valid"),
])
def test_bad_ontology_files_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "ont.yaml"
    path.write_text(content)
    with pytest.raises(OntologyError, match=message) as info:
        Ontology.load(path)
    assert str(path) in str(info.value)


def test_missing_ontology_file(tmp_path):
    with pytest.raises(OntologyError, match="not found"):
        Ontology.load(tmp_path / "none.yaml")
