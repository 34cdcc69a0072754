"""Error categories for real-text evaluation (benchmarks/error_categories.py)."""
from benchmarks.error_categories import categorize
from inference.records import Argument, Event, Sentence, Span


def _ev(text, type_, trigger, *args):
    s = text.index(trigger)
    return Event(type_, Span(s, s + len(trigger), trigger),
                 tuple(Argument(r, text.index(t), text.index(t) + len(t), t) for r, t in args))


def test_each_category_is_counted_once():
    t1 = "The troops were ordered to withdraw from Gao."
    t2 = "Officers seized power in a swift coup."
    t3 = "Gunmen ambushed at least two military trucks near Gao."
    t4 = "The colonels deposed the president."
    gold = [Sentence("a", t1, []), Sentence("b", t2, [_ev(t2, "Coup", "coup", ("Agent", "Officers"))]),
            Sentence("c", t3, [_ev(t3, "Ambush", "ambushed", ("Attacker", "Gunmen"),
                                   ("Target", "at least two military trucks"))]),
            Sentence("d", t4, [_ev(t4, "Coup", "deposed", ("Agent", "The colonels"))])]
    pred = [Sentence("a", t1, [_ev(t1, "Retreat", "withdraw", ("Agent", "The troops"))]),
            Sentence("b", t2, [_ev(t2, "Coup", "seized power", ("Agent", "Officers")),
                               _ev(t2, "Coup", "coup", ("Agent", "Officers"))]),
            Sentence("c", t3, [_ev(t3, "Ambush", "ambushed", ("Attacker", "Gunmen"),
                                   ("Target", "at least two military"))]),
            Sentence("d", t4, [])]
    assert categorize(gold, pred) == {"false trigger under modality or negation": 1,
                                      "second event for one occurrence": 1,
                                      "boundary: cut short (inside the gold phrase)": 1,
                                      "missed Coup trigger": 1}
