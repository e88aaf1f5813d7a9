"""SecretBox: Fernet encryption with key rotation; errors reveal neither keys nor tokens."""

from __future__ import annotations

import pytest

from shared.crypto import DecryptionError, SecretBox, generate_key


def test_text_round_trips() -> None:
    box = SecretBox(generate_key())
    token = box.encrypt("mot de passe é")
    assert box.decrypt_text(token) == "mot de passe é"


def test_bytes_round_trip() -> None:
    box = SecretBox(generate_key())
    assert box.decrypt(box.encrypt(b"\x00\xff")) == b"\x00\xff"


def test_token_is_text_and_not_the_plaintext() -> None:
    box = SecretBox(generate_key())
    token = box.encrypt("hunter2")
    assert isinstance(token, str)
    assert "hunter2" not in token


def test_token_made_with_an_old_key_still_decrypts_after_rotation() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox(old).encrypt("secret")
    assert SecretBox(f"{new}, {old}").decrypt_text(token) == "secret"


def test_first_key_encrypts() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox(f"{new},{old}").encrypt("secret")
    assert SecretBox(new).decrypt_text(token) == "secret"
    with pytest.raises(DecryptionError):
        SecretBox(old).decrypt(token)


def test_rotate_re_encrypts_under_the_first_key() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox(old).encrypt("secret")
    rotated = SecretBox(f"{new},{old}").rotate(token)
    assert SecretBox(new).decrypt_text(rotated) == "secret"


def test_wrong_key_error_does_not_contain_the_token() -> None:
    token = SecretBox(generate_key()).encrypt("secret")
    with pytest.raises(DecryptionError) as excinfo:
        SecretBox(generate_key()).decrypt(token)
    assert token not in str(excinfo.value)
    assert token[:20] not in str(excinfo.value)
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


@pytest.mark.parametrize("token", ["not-a-token", "", "gAAAAABé"])
def test_garbage_token_is_a_decryption_error(token: str) -> None:
    with pytest.raises(DecryptionError):
        SecretBox(generate_key()).decrypt_text(token)


def test_non_utf8_plaintext_is_a_decryption_error() -> None:
    box = SecretBox(generate_key())
    with pytest.raises(DecryptionError):
        box.decrypt_text(box.encrypt(b"\xff\xfe"))


def test_repr_hides_the_keys() -> None:
    key1, key2 = generate_key(), generate_key()
    text = repr(SecretBox(f"{key1},{key2}"))
    assert key1 not in text
    assert key2 not in text
    assert key1[:8] not in text


def test_invalid_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="key #2") as excinfo:
        SecretBox(f"{generate_key()},not-a-real-fernet-key")
    assert "not-a-real" not in str(excinfo.value)


def test_empty_key_string_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        SecretBox(" , ")
