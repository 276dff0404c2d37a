"""Where a payment comes from or goes to, checked before anything is sent.

A clerk types an IBAN, a wallet address or a card number; a typo sends a client's
money to a stranger, so each method's details are validated by the rules of their
scheme (IBAN mod-97 and country length, BIC shape, Base58Check and Bech32 checksums,
EIP-55 mixed-case checksums, Luhn). A full card number is never kept: only its last
four digits (the rest is card-scheme data a back office must not hold).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from app.countries import countries
from app.errors import ValidationFailed
from app.models.payments import PaymentMethod

# IBAN length by country (the SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
_BIC = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}([A-Z0-9]{3})?")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}")
_WALLET_ID = re.compile(r"\d{8,16}")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

CRYPTO_NETWORKS = {"bitcoin": "Bitcoin", "ethereum": "Ethereum (ERC-20)",
                   "tron": "Tron (TRC-20)"}


@dataclass(frozen=True)
class Destination:
    """The checked details as they are stored and sent."""

    account: str          # IBAN (compact), wallet/e-wallet id, or ****1234 for a card
    bank_code: str = ""   # BIC for a wire
    network: str = ""     # crypto network


def _refuse(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, field)


def compact(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def check_iban(text: str) -> str:
    """The IBAN in compact form; ValidationFailed saying what is wrong with it."""
    iban = compact(text)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}", iban):
        raise _refuse("An IBAN starts with a two-letter country code and two check "
                      "digits, followed by letters and digits.", "iban")
    country = iban[:2]
    wanted = IBAN_LENGTHS.get(country)
    if wanted is None:
        raise _refuse(f"{country} does not use IBANs; use the bank's account number and "
                      "BIC instead.", "iban")
    if len(iban) != wanted:
        raise _refuse(f"An IBAN from {country} has {wanted} characters; this one has "
                      f"{len(iban)}.", "iban")
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise _refuse("The IBAN's check digits do not match: a character is mistyped.",
                      "iban")
    return iban


def check_bic(text: str) -> str:
    bic = compact(text)
    found = _BIC.fullmatch(bic)
    if found is None:
        raise _refuse("A BIC (SWIFT code) has 8 or 11 letters and digits: bank (4 letters), "
                      "country (2), location (2), optionally branch (3).", "bic")
    if found.group(1) not in countries() and found.group(1) != "XK":
        raise _refuse(f"The BIC's country code {found.group(1)} is not a country.", "bic")
    return bic


def luhn_ok(digits: str) -> bool:
    total = 0
    for n, c in enumerate(reversed(digits)):
        d = int(c)
        if n % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_card(text: str) -> str:
    """A card number (checked, then cut to its last four) or an already masked one."""
    value = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"\*{2,12}\d{4}", value):
        return "****" + value[-4:]
    if not re.fullmatch(r"\d{12,19}", value):
        raise _refuse("A card number has 12 to 19 digits (or give it masked, as ****1234).",
                      "card")
    if not luhn_ok(value):
        raise _refuse("The card number's check digit does not match: a digit is mistyped.",
                      "card")
    return "****" + value[-4:]


def _b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        i = _B58.find(c)
        if i < 0:
            raise ValueError(c)
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _base58check(text: str) -> bytes | None:
    """The payload of a Base58Check string, or None when it is not one."""
    try:
        raw = _b58decode(text)
    except ValueError:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] \
            != checksum:
        return None
    return payload


def _bech32_polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, g in enumerate(generators):
            if (top >> i) & 1:
                chk ^= g
    return chk


def _segwit_ok(address: str) -> bool:
    """A native SegWit address on Bitcoin's main network (BIP-173 / BIP-350)."""
    if address.lower() != address and address.upper() != address:
        return False  # mixed case is never valid Bech32
    address = address.lower()
    hrp, _, data = address.rpartition("1")
    if hrp != "bc" or not 6 < len(data) <= 84 or any(c not in _BECH32 for c in data):
        return False
    values = [_BECH32.index(c) for c in data]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    constant = _bech32_polymod(expanded + values)
    version = values[0]
    program_bits = (len(values) - 7) * 5
    program_len = program_bits // 8
    if version == 0:
        return constant == 1 and program_len in (20, 32)
    return constant == 0x2BC830A3 and version <= 16 and 2 <= program_len <= 40


def _eip55_ok(address: str) -> bool:
    from Crypto.Hash import keccak

    body = address[2:]
    digest = keccak.new(digest_bits=256, data=body.lower().encode()).hexdigest()
    return all((c.isupper() if int(h, 16) >= 8 else c.islower()) or c.isdigit()
               for c, h in zip(body, digest[:len(body)], strict=True))


def check_crypto_address(network: str, text: str) -> str:
    address = text.strip()
    if network == "bitcoin":
        payload = _base58check(address) if address[:1] in ("1", "3") else None
        if payload is not None and len(payload) == 21 and payload[0] in (0x00, 0x05):
            return address
        if address[:3].lower() == "bc1" and _segwit_ok(address):
            return address.lower()
        raise _refuse("This is not a Bitcoin address: it starts with 1, 3 or bc1 and its "
                      "checksum must match (check for a mistyped character).", "address")
    if network == "ethereum":
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
            raise _refuse("An Ethereum address is 0x followed by 40 hexadecimal characters.",
                          "address")
        body = address[2:]
        if body != body.lower() and body != body.upper() and not _eip55_ok(address):
            raise _refuse("The Ethereum address's capital letters (its checksum) do not "
                          "match: a character is mistyped.", "address")
        return address
    if network == "tron":
        payload = _base58check(address) if address.startswith("T") else None
        if payload is None or len(payload) != 21 or payload[0] != 0x41:
            raise _refuse("This is not a Tron address: it starts with T, has 34 characters "
                          "and its checksum must match.", "address")
        return address
    raise _refuse(f"Unknown crypto network {network!r}; choose one of "
                  f"{', '.join(CRYPTO_NETWORKS.values())}.", "network")


def check_ewallet(text: str) -> str:
    value = text.strip()
    if _EMAIL.fullmatch(value):
        return value.lower()
    if _WALLET_ID.fullmatch(value):
        return value
    raise _refuse("An e-wallet is given by its e-mail address or its 8 to 16 digit "
                  "account number.", "wallet")


def check_destination(method: PaymentMethod, account: str, bank_code: str = "",
                      network: str = "") -> Destination:
    """The method's details, checked and in their stored form."""
    if method is PaymentMethod.BANK_WIRE:
        iban = check_iban(account)
        bic = check_bic(bank_code) if bank_code.strip() else ""
        if not bic:
            raise _refuse("A bank wire needs the bank's BIC (SWIFT code).", "bic")
        return Destination(iban, bic)
    if method is PaymentMethod.CARD:
        return Destination(check_card(account))
    if method is PaymentMethod.E_WALLET:
        return Destination(check_ewallet(account))
    return Destination(check_crypto_address(network, account), network=network)
