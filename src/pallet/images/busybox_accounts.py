"""``addgroup`` and ``adduser`` for the bootstrapped busybox image.

Debian builds its busybox without these applets, yet Dockerfiles written for
busybox- and Alpine-based images create their users with them (the guide's
hardened image: ``addgroup -g 1001 -S appgroup && adduser -S appuser -u 1001
-G appgroup``). The image carries two small shell scripts instead, written for
busybox ``sh`` and following BusyBox's options and defaults:

    addgroup [-g GID] [-S] GROUP        addgroup USER GROUP (add to a group)
    adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GROUP] [-S] [-D] [-H] [-u UID]
            [-k SKEL] USER [GROUP]

``-S`` picks ids from 100-999 (else 1000 up); a system user gets ``/bin/false``
and group ``nogroup`` unless told otherwise; a user without a group gets its own
group with the same id. Names are limited to ``[A-Za-z0-9._-]``.
"""

from __future__ import annotations

_COMMON = r"""
die() { echo "$PROG: $*" >&2; exit 1; }
valid() { case $1 in ''|-*|*[!A-Za-z0-9._-]*) die "invalid name '$1'";; esac; }
has() { grep -q "^$2:" "$1"; }
id_used() { cut -d: -f3 "$1" | grep -qx "$2"; }
parse() {  # parse "$@": options anywhere (as BusyBox's getopt32), clusters like -SDH
  npos=0; p1=''; p2=''
  while [ $# -gt 0 ]; do
    a=$1; shift
    case $a in
      --) for x; do npos=$((npos + 1)); [ $npos = 1 ] && p1=$x; [ $npos = 2 ] && p2=$x; done
          break;;
      -?*) a=${a#-}
           while [ -n "$a" ]; do
             c=${a%"${a#?}"}; a=${a#?}; v=''
             case $VALUED in *$c*)
               if [ -n "$a" ]; then v=$a; a=''
               else [ $# -gt 0 ] || die "option requires an argument -- $c"; v=$1; shift; fi;;
             esac
             opt "$c" "$v"
           done;;
      *) npos=$((npos + 1)); [ $npos = 1 ] && p1=$a; [ $npos = 2 ] && p2=$a;;
    esac
  done
}
free_id() {  # free_id FILE SYSTEM(0|1) [ALSO_FREE_IN]
  if [ "$2" = 1 ]; then i=100; hi=999; else i=1000; hi=60000; fi
  while id_used "$1" "$i" || { [ -n "$3" ] && id_used "$3" "$i"; }; do
    i=$((i + 1)); [ "$i" -le "$hi" ] || die "no free id"
  done
  echo "$i"
}
"""

ADDGROUP = "#!/bin/sh\n# pallet: busybox-style addgroup (Debian's busybox lacks it)\n" + \
    "PROG=addgroup\n" + _COMMON + r"""
USAGE="usage: addgroup [-g GID] [-S] [USER] GROUP"
gid=''; system=0; VALUED=g
opt() { case $1 in g) gid=$2;; S) system=1;; *) die "$USAGE";; esac; }
parse "$@"
case $npos in
  1) group=$p1;;
  2) user=$p1; group=$p2; valid "$user"; valid "$group"
     has /etc/passwd "$user" || die "unknown user $user"
     has /etc/group "$group" || die "unknown group $group"
     members=$(grep "^$group:" /etc/group | cut -d: -f4)
     case ",$members," in *",$user,"*) exit 0;; esac
     new=$(sed "s/^\($group:[^:]*:[^:]*:\)\(.*\)$/\1\2${members:+,}$user/" /etc/group) &&
       printf '%s\n' "$new" > /etc/group  # in place: /etc/group may be a mount
     exit 0;;
  *) die "$USAGE";;
esac
valid "$group"
has /etc/group "$group" && die "group '$group' in use"
if [ -n "$gid" ]; then
  case $gid in *[!0-9]*) die "invalid gid '$gid'";; esac
  id_used /etc/group "$gid" && die "gid '$gid' in use"
else
  gid=$(free_id /etc/group "$system") || exit 1
fi
echo "$group:x:$gid:" >> /etc/group
"""

ADDUSER = "#!/bin/sh\n# pallet: busybox-style adduser (Debian's busybox lacks it)\n" + \
    "PROG=adduser\n" + _COMMON + r"""
USAGE="usage: adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GRP] [-S] [-D] [-H] [-u UID] USER"
home=''; gecos=''; shell=''; group=''; system=0; nohome=0; uid=''; skel=''; VALUED=hgsGuk
opt() {
  case $1 in
    h) home=$2;; g) gecos=$2;; s) shell=$2;; G) group=$2;; u) uid=$2;; k) skel=$2;;
    S) system=1;; D) ;; H) nohome=1;; *) die "$USAGE";;
  esac
}
parse "$@"
[ "$npos" -ge 1 ] && [ "$npos" -le 2 ] || die "$USAGE"
user=$p1; [ "$npos" -eq 2 ] && group=$p2
valid "$user"
has /etc/passwd "$user" && die "user '$user' in use"
if [ "$system" = 1 ]; then
  [ -n "$shell" ] || shell=/bin/false
  [ -n "$group" ] || group=nogroup
fi
[ -n "$shell" ] || shell=/bin/sh
[ -n "$home" ] || home=/home/$user
if [ -n "$uid" ]; then
  case $uid in *[!0-9]*) die "invalid uid '$uid'";; esac
  id_used /etc/passwd "$uid" && die "uid '$uid' in use"
fi
if [ -n "$group" ]; then
  valid "$group"
  has /etc/group "$group" || die "unknown group $group"
  gid=$(grep "^$group:" /etc/group | cut -d: -f3)
  [ -n "$uid" ] || uid=$(free_id /etc/passwd "$system") || exit 1
else  # a group of its own, with the same id when that is free
  [ -n "$uid" ] || uid=$(free_id /etc/passwd "$system" /etc/group) || exit 1
  gid=$uid
  id_used /etc/group "$gid" && gid=$(free_id /etc/group "$system")
  has /etc/group "$user" && die "group '$user' in use"
  echo "$user:x:$gid:" >> /etc/group
fi
echo "$user:x:$uid:$gid:$gecos:$home:$shell" >> /etc/passwd
[ -f /etc/shadow ] && echo "$user:!:$(($(date +%s) / 86400)):0:99999:7:::" >> /etc/shadow
if [ "$nohome" = 0 ] && [ ! -e "$home" ]; then
  mkdir -p "$home"
  [ -n "$skel" ] && [ -d "$skel" ] && cp -a "$skel/." "$home/"
  chown -R "$uid:$gid" "$home"
  chmod 755 "$home"
fi
"""

# path in the image -> script
SCRIPTS = {"usr/sbin/addgroup": ADDGROUP, "usr/sbin/adduser": ADDUSER}
