"""The people of the test university: one directory shared by the CAS and OIDC test server and slapd."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    display_name: str
    email: str
    staff_number: str = ""
    department: str = ""


PEOPLE = [
    Person("zhang.san", "campus-pass-1", "张三", "zhang.san@btu.example.edu.cn", "BT2026001", "物理学院"),
    Person("li.si", "campus-pass-2", "李四", "li.si@btu.example.edu.cn", "BT2026002", "化学学院"),
    Person("wang.wu", "campus-pass-3", "王五", "wang.wu@btu.example.edu.cn", "", "材料学院"),  # no staff number
    Person("zhao.liu", "campus-pass-4", "赵六", "zhao.liu@btu.example.edu.cn", "BT2026004", "生命科学学院"),
    Person("chen.qi", "campus-pass-5", "陈七", "chen.qi@btu.example.edu.cn", "BT2026005", "物理学院"),
    Person("sun.ba", "campus-pass-6", "孙八", "sun.ba@btu.example.edu.cn", "BT2026006", "化学学院"),
    # The OIDC test server mis-issues tokens for these on purpose (tests/identity/idp/hooks.py).
    Person("mallory-aud", "campus-pass-7", "Mallory A", "mallory-aud@btu.example.edu.cn", "BT2026901"),
    Person("mallory-iss", "campus-pass-7", "Mallory I", "mallory-iss@btu.example.edu.cn", "BT2026902"),
    Person("mallory-nonce", "campus-pass-7", "Mallory N", "mallory-nonce@btu.example.edu.cn", "BT2026903"),
    Person("mallory-signature", "campus-pass-7", "Mallory S", "mallory-sig@btu.example.edu.cn", "BT2026904"),
    Person("unverified.mail", "campus-pass-8", "周九", "zhou.jiu@btu.example.edu.cn", "BT2026008"),
]
BY_USERNAME = {person.username: person for person in PEOPLE}
OIDC_CLIENT_ID = "instrument-platform"
OIDC_CLIENT_SECRET = "oidc-client-secret-for-tests"
