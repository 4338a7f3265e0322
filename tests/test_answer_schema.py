"""The hand-in's answers are read in one pass when well formed; what that pass takes and what it
returns must be exactly what the schema would have made of the same input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from api.schemas import AnswerInputSchema, SubmissionSchema

#: the same list read only by marshmallow, as it was before the one-pass reading
_answers = fields.List(fields.Nested(AnswerInputSchema), required=True, validate=validate.Length(max=100))
ThroughSchema = Schema.from_dict({"answers": _answers})

small_ints = st.integers(min_value=-2, max_value=120)
values = st.one_of(small_ints, st.booleans(), st.floats(allow_nan=False), st.text(max_size=2), st.none())
choices = st.one_of(st.lists(st.one_of(st.integers(-1, 11), values), max_size=12), values)
answer = st.one_of(
    st.fixed_dictionaries({"position": st.one_of(small_ints, values), "choices": choices}),
    st.fixed_dictionaries({"position": small_ints}),
    st.dictionaries(st.sampled_from(["position", "choices", "extra"]), st.one_of(values, choices)),
    values,
)
bodies = st.fixed_dictionaries({"answers": st.one_of(st.lists(answer, max_size=12), values)})


def _load(schema: Schema, body: dict) -> tuple[str, Any]:
    try:
        return "ok", schema.load(body)
    except ValidationError as error:
        return "refused", error.messages


@settings(max_examples=600)
@given(bodies)
def test_the_one_pass_takes_and_refuses_what_the_schema_does(body: dict) -> None:
    assert _load(SubmissionSchema(), body) == _load(ThroughSchema(), body)


@pytest.mark.parametrize(
    "answers",
    [
        [{"position": True, "choices": [0]}],
        [{"position": 0, "choices": [1.0]}],
        [{"position": 0, "choices": [True]}],
        [{"position": 0, "choices": [0], "extra": 1}],
        [{"position": 100, "choices": [0]}],
        [{"position": 0, "choices": list(range(10)) + [0]}],
        [{"position": 0, "choices": [10]}],
    ],
)
def test_answers_out_of_shape_are_refused_by_field(answers: list) -> None:
    outcome, messages = _load(SubmissionSchema(), {"answers": answers})
    assert outcome == "refused" and "answers" in messages and 0 in messages["answers"]
