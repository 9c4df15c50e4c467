"""Programmatic grader: every dependency the answer installs carries an exact version pin."""
import re
PIN = re.compile(r"^[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9_.]*$")
def grade(requirements):
    return all(PIN.match(line.strip()) for line in requirements.splitlines() if line.strip())
