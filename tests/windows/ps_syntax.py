"""Syntax-level checks for PowerShell files where no PowerShell (pwsh, PSScriptAnalyzer) is available.

This is a tokenizer, not a parser: it follows strings ('...', "...", here-strings @'...'@ and
@"..."@), comments (# and <# ... #>) and the backtick escape, and reports
- unbalanced or mismatched (), {}, [] and unterminated strings, here-strings or block comments;
- command aliases (gci, %, ?, select, where, foreach, ...) used where a command starts;
- functions without a param() block, and Ansible modules without the Ansible.Basic requirement;
- Write-Host (output that Ansible cannot read) and Invoke-Expression.
Usage: python tests/windows/ps_syntax.py FILE.ps1 ...   (exit 1 on findings)
"""
import re
import sys

ALIASES = {
    "%", "?", "ac", "cat", "cd", "chdir", "clc", "clear", "cls", "copy", "cp", "cpi", "del", "dir", "echo",
    "erase", "fl", "foreach", "ft", "fw", "gc", "gci", "gcm", "gi", "gm", "gp", "gps", "group", "gsv", "gwmi",
    "iex", "ii", "ipmo", "irm", "iwr", "kill", "ls", "measure", "md", "mi", "mount", "move", "mv", "ni", "nv",
    "popd", "ps", "pushd", "pwd", "r", "rd", "ren", "ri", "rm", "rmdir", "sal", "saps", "sc", "select", "set",
    "sleep", "sls", "sort", "sp", "spps", "start", "tee", "type", "where", "wget", "curl", "write",
}
KEYWORDS = {"if", "elseif", "else", "foreach", "for", "while", "do", "switch", "function", "filter", "try",
            "catch", "finally", "return", "throw", "param", "begin", "process", "end", "break", "continue",
            "trap", "until", "exit", "class", "enum", "using"}
PAIRS = {")": "(", "}": "{", "]": "["}


class Finding(Exception):
    pass


def tokens(text):
    """Yield (kind, value, line) with kind in open/close/word/newline/pipe/semicolon; strings and
    comments are consumed (not yielded), unterminated ones raise Finding."""
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            yield "newline", c, line
            line += 1
            i += 1
        elif c == "`":  # escape: skip the next character (line continuation included)
            if i + 1 < n and text[i + 1] == "\n":
                line += 1
            i += 2
        elif text.startswith("<#", i):
            end = text.find("#>", i + 2)
            if end < 0:
                raise Finding(f"line {line}: unterminated block comment")
            line += text.count("\n", i, end)
            i = end + 2
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("@'", i) or text.startswith('@"', i):
            quote = text[i + 1]
            if not text.startswith("\n", i + 2) and not text.startswith("\r\n", i + 2):
                raise Finding(f"line {line}: here-string opener @{quote} must end its line")
            m = re.compile("\n" + quote + "@").search(text, i + 2)
            if not m:
                raise Finding(f"line {line}: unterminated here-string @{quote}")
            line += text.count("\n", i, m.end())
            i = m.end()
        elif c == "'":
            j = i + 1
            while True:
                end = text.find("'", j)
                if end < 0:
                    raise Finding(f"line {line}: unterminated '...' string")
                if text.startswith("''", end):
                    j = end + 2
                    continue
                break
            line += text.count("\n", i, end)
            i = end + 1
        elif c == '"':
            j = i + 1
            depth = 0
            while j < n:
                if text[j] == "`":
                    j += 2
                    continue
                if text.startswith("$(", j):
                    depth += 1
                    j += 2
                    continue
                if text[j] == ")" and depth:
                    depth -= 1
                elif text[j] == '"' and not depth:
                    if text.startswith('""', j):
                        j += 2
                        continue
                    break
                j += 1
            else:
                raise Finding(f"line {line}: unterminated \"...\" string")
            line += text.count("\n", i, j)
            i = j + 1
        elif c in "({[":
            if c == "{" and i > 0 and text[i - 1] == "$":  # ${name} variable
                end = text.find("}", i)
                i = end + 1
                continue
            yield "open", ("@{" if c == "{" and i > 0 and text[i - 1] == "@" else c), line
            i += 1
        elif c in ")}]":
            yield "close", c, line
            i += 1
        elif c == "|":
            yield "pipe", c, line
            i += 1
        elif c == ";":
            yield "semicolon", c, line
            i += 1
        elif c == "$":
            m = re.compile(r"\$[\w:?]+").match(text, i)
            i = m.end() if m else i + 1
        else:
            m = re.compile(r"[\w\-.%?\\]+").match(text, i)
            if m and m.group():
                yield "word", m.group(), line
                i = m.end()
            else:
                i += 1


def check(text, path="<text>"):
    findings = []
    stack = []
    command_start = True
    after_pipe = False
    try:
        for kind, value, line in tokens(text):
            if kind == "open":
                stack.append((value[-1], line, value == "@{"))
                command_start = value in ("(", "{")
                after_pipe = False
            elif kind == "close":
                if not stack or stack[-1][0] != PAIRS[value]:
                    opener = stack[-1] if stack else None
                    findings.append(f"{path}:{line}: '{value}' closes {opener[0] + ' from line ' + str(opener[1]) if opener else 'nothing'}")
                    if stack:
                        stack.pop()
                else:
                    stack.pop()
                command_start = False
            elif kind in ("newline", "pipe", "semicolon"):
                after_pipe = kind == "pipe"
                # inside a hashtable literal a new line starts a key, not a command
                command_start = kind == "pipe" or not (stack and stack[-1][2])
            elif kind == "word":
                low = value.lower()
                # `foreach (...)` opening a statement is the keyword; after a pipe it is ForEach-Object's alias
                keyword_use = low in KEYWORDS and not after_pipe
                if command_start and low in ALIASES and not keyword_use:
                    findings.append(f"{path}:{line}: alias '{value}' - spell the command out")
                if command_start and low in ("write-host", "invoke-expression"):
                    findings.append(f"{path}:{line}: {value} is not allowed in a module")
                command_start = low in KEYWORDS and low not in ("param",)
                after_pipe = False
    except Finding as exc:
        findings.append(f"{path}: {exc}")
        return findings
    for opener, line, _hash in stack:
        findings.append(f"{path}:{line}: '{opener}' is never closed")
    for m in re.finditer(r"^\s*Function\s+([\w-]+)\s*\{", text, re.M | re.I):
        body = text[m.end():m.end() + 600]
        body = re.sub(r"^\s*<#.*?#>", "", body, flags=re.S)
        if not re.match(r"\s*param\s*\(", body, re.I):
            findings.append(f"{path}: function {m.group(1)} has no param() block")
    if text.startswith("#!powershell") and "#AnsibleRequires -CSharpUtil Ansible.Basic" not in text:
        findings.append(f"{path}: an Ansible module must declare #AnsibleRequires -CSharpUtil Ansible.Basic")
    return findings


def main(paths):
    findings = []
    for path in paths:
        with open(path, encoding="utf-8-sig") as handle:
            findings += check(handle.read(), path)
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
