import pytest

from instruments.validators import uscc_build, uscc_check_character, uscc_normalise, uscc_problem


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # a published enterprise code
        "12100000400010398P",  # a published public-institution code
        uscc_build("Y1310000MA1FL0000"),  # letters allowed in the authority and type positions
    ],
)
def test_uscc_valid_codes_pass(code):
    assert uscc_problem(code) is None


def test_uscc_wrong_check_character_names_the_expected_one():
    code = "91110000600037341L"
    wrong = code[:17] + ("M" if code[17] != "M" else "N")
    problem = uscc_problem(wrong)
    assert problem is not None
    assert "expected L" in problem


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("9111000060003734", "18 characters"),
        ("91110000600037341O", "not allowed"),
        ("91AB0000600037341L", "administrative division"),
    ],
)
def test_uscc_malformed_codes_are_explained(code, fragment):
    problem = uscc_problem(code)
    assert problem is not None
    assert fragment in problem


def test_uscc_normalise_strips_spaces_and_case():
    assert uscc_normalise(" 9111 0000-600037341l ") == "91110000600037341L"


def test_uscc_check_character_is_in_alphabet_for_every_prefix():
    for n in range(200):
        assert len(uscc_check_character(f"12310000{n:09d}")) == 1
