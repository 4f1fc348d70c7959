#!/usr/bin/python3
"""Grant a Samba AD account "List contents" and "Read property" on the Deleted Objects container.

With this right Postern's change tracking receives deleted objects (tombstones) the moment they
are deleted; without it, deletions are noticed by the periodic reconciliation
(cache.reconcileInterval). See docs/directory.md, "Deletions".

Run on the domain controller as root, with Samba's Python modules (samba-tool's interpreter):

    /usr/bin/python3 scripts/ad-grant-deleted-objects.py /etc/samba/smb.conf \\
        /var/lib/samba/private/sam.ldb DC=ad,DC=example,DC=test svc-postern

`samba-tool dsacl set` cannot do this (Samba 4.17): it reads the container without the
show-deleted control and fails. On Windows: `dsacls "CN=Deleted Objects,DC=..." /takeownership`
then `dsacls "CN=Deleted Objects,DC=..." /g DOMAIN\\svc-postern:LCRP`.
"""
import sys

from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.sd_utils import SDUtils


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    smbconf, sam, base, account = argv[1:5]
    lp = LoadParm()
    lp.load(smbconf)
    db = SamDB(url=sam, session_info=system_session(), lp=lp)
    found = db.search(base=base, expression="(sAMAccountName=%s)" % account.replace("\\", "\\5c")
                      .replace("*", "\\2a").replace("(", "\\28").replace(")", "\\29"), attrs=["objectSid"])
    if len(found) != 1:
        sys.stderr.write("no single account with sAMAccountName %s\n" % account)
        return 1
    sid = str(db.schema_format_value("objectSid", found[0]["objectSid"][0]), "utf-8")
    container = "CN=Deleted Objects," + base
    sd = SDUtils(db)
    sd.dacl_append_aces(container, "(A;;LCRP;;;%s)" % sid, controls=["show_deleted:1"])
    print(sd.get_sd_as_sddl(container, controls=["show_deleted:1"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
