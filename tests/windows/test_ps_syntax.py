"""The PowerShell files of the collection pass the syntax-level checker, and the checker catches
what it claims to (each negative sample must produce a finding)."""
from pathlib import Path

import pytest

from ps_syntax import check

ROOT = Path(__file__).resolve().parents[2]
PS_FILES = sorted(p for p in ROOT.joinpath("plugins").rglob("*.ps*1") if p.is_file()) + sorted(
    ROOT.joinpath("roles").rglob("*.ps1"))


def test_there_is_powershell_to_check():
    assert any(p.name == "lvs_loopback.ps1" for p in PS_FILES)


@pytest.mark.parametrize("path", PS_FILES, ids=lambda p: p.name)
def test_collection_powershell_is_clean(path):
    assert check(path.read_text(encoding="utf-8-sig"), str(path)) == []


GOOD = """#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
$spec = @{
    options = @{
        type = @{ type = 'str' }
    }
}
Function Get-Thing {
    <# doc #>
    param([string]$Name)
    $x = "a $($Name.Length) ""quoted"" `" tick"
    $y = 'it''s'
    $z = @'
{ unbalanced inside a here-string is fine (
'@
    Get-ChildItem -Path $x | ForEach-Object { $_.Name } | Where-Object { $_ -ne $y }
    foreach ($item in @(1, 2)) { $item }
    return ${z}
}
"""

BAD = {
    "unbalanced-brace": ("Function F {\n  param()\n  if ($a) { $b\n}\n", "never closed"),
    "mismatched": ("$a = (1, 2]\n", "closes"),
    "unterminated-single": ("$a = 'abc\n", "unterminated '...'"),
    "unterminated-double": ('$a = "abc\n', 'unterminated "..."'),
    "unterminated-here": ("$a = @'\nabc\n", "unterminated here-string"),
    "here-opener": ("$a = @' abc\n'@\n", "must end its line"),
    "block-comment": ("<# never closed\n", "unterminated block comment"),
    "alias-gci": ("gci C:\\ | % { $_ }\n", "alias 'gci'"),
    "alias-percent": ("Get-ChildItem | % { $_ }\n", "alias '%'"),
    "alias-where": ("Get-ChildItem | where { $_ }\n", "alias 'where'"),
    "alias-foreach-after-pipe": ("Get-ChildItem | foreach { $_ }\n", "alias 'foreach'"),
    "no-param": ("Function Get-X {\n  $a = 1\n}\n", "no param() block"),
    "write-host": ("Write-Host 'x'\n", "Write-Host is not allowed"),
    "no-ansible-basic": ("#!powershell\n$a = 1\n", "Ansible.Basic"),
}


def test_good_sample_is_clean():
    assert check(GOOD) == []


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_samples_are_caught(name):
    text, expected = BAD[name]
    findings = check(text)
    assert any(expected in f for f in findings), findings
