#!/usr/bin/env python3
"""Lists the tests a Maven run skipped (assumptions, @Disabled, root-only, tmpfs-only, benchmarks),
read from the surefire and failsafe XML reports, so that a green run says what did not run.

Usage: skipped-tests.py ROOT [--newer FILE]
  ROOT     the repository (reports under */target/{surefire,failsafe}-reports/)
  --newer  only reports written after FILE (the run's start): earlier runs' reports are ignored
Prints one line per skipped test, "SKIPPED: Class.method: reason", then a count. Exit status 0.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET


def reports(root, newer_than):
    for kind in ("surefire-reports", "failsafe-reports"):
        for path in sorted(glob.glob(os.path.join(root, "*", "target", kind, "TEST-*.xml"))):
            if newer_than is None or os.path.getmtime(path) >= newer_than:
                yield path


def skipped(path):
    try:
        suite = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        yield (os.path.basename(path), "", "report unreadable: %s" % e)
        return
    for case in suite.iter("testcase"):
        mark = case.find("skipped")
        if mark is None:
            continue
        reason = (mark.get("message") or (mark.text or "").strip() or "no reason given").splitlines()[0]
        reason = reason.removeprefix("org.opentest4j.TestAbortedException: ")  # an assumption: its text says why
        cls = case.get("classname") or suite.get("name") or "?"
        yield (cls.rsplit(".", 1)[-1], case.get("name") or "", reason)


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root, newer_than = argv[0], None
    if len(argv) == 3 and argv[1] == "--newer":
        newer_than = os.path.getmtime(argv[2]) if os.path.exists(argv[2]) else None
    rows = sorted({row for path in reports(root, newer_than) for row in skipped(path)})
    for cls, method, reason in rows:
        name = cls + ("." + method if method and method != cls else "")
        print("SKIPPED: %s: %s" % (name, reason))
    print("%d test(s) skipped" % len(rows) if rows else "No test skipped.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
