#!/usr/bin/env python3
"""Writes postern.ldif (cn=config) and postern-inmemory.ldif (UnboundID subschema entry) from
postern.schema, the one source of truth. Run after editing postern.schema; DirectorySchemaTest
fails when the three forms disagree."""
import re
import sys
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "src" / "main" / "schema"


def definitions(text):
    """(kind, one-line definition) for every attributetype / objectclass in .schema text."""
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
    joined = "\n".join(lines)
    out = []
    for m in re.finditer(r"^(attributetype|objectclass)\s+(\(.*?\))\s*$(?=\s*^(?:attributetype|objectclass|\Z))",
                         joined + "\n", re.M | re.S | re.I):
        out.append((m.group(1).lower(), " ".join(m.group(2).split())))
    return out


def fold(name, value):
    line = f"{name}: {value}"
    parts = [line[:76]]
    rest = line[76:]
    while rest:
        parts.append(" " + rest[:75])
        rest = rest[75:]
    return "\n".join(parts)


def main():
    source = (SCHEMA_DIR / "postern.schema").read_text()
    defs = definitions(source)
    header = "# Generated from postern.schema by directory-schema/scripts/schema-forms.py: do not edit.\n"
    cfg = [header + "# OpenLDAP cn=config form: ldapadd -Y EXTERNAL -H ldapi:/// -f postern.ldif",
           "dn: cn=postern,cn=schema,cn=config", "objectClass: olcSchemaConfig", "cn: postern"]
    mem = [header + "# UnboundID in-memory server form (a subschema entry), merged by EmbeddedDirectoryServer.",
           "dn: cn=schema", "objectClass: top", "objectClass: ldapSubentry", "objectClass: subschema", "cn: schema"]
    for kind, d in defs:
        cfg.append(fold("olcAttributeTypes" if kind == "attributetype" else "olcObjectClasses", d))
        mem.append(fold("attributeTypes" if kind == "attributetype" else "objectClasses", d))
    (SCHEMA_DIR / "postern.ldif").write_text("\n".join(cfg) + "\n")
    (SCHEMA_DIR / "postern-inmemory.ldif").write_text("\n".join(mem) + "\n")
    print(f"{len(defs)} definitions", file=sys.stderr)


if __name__ == "__main__":
    main()
