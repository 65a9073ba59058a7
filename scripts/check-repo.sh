#!/bin/sh
# Repository hygiene, run by .ci/run (and by hand from the repository
# root): no compiled executable is tracked, no tracked file points into
# the shared reading folder beside it (the repository reproduces its own figures), and every
# example's main.go stays at most 250 lines (logic that grows belongs in
# a package).
set -eu
status=0

# executables: ELF, Mach-O (32/64-bit, both byte orders) and PE ("MZ")
exes=$(git ls-files -z | xargs -0 -r sh -c '
	for f; do
		[ -f "$f" ] || continue
		magic=$(head -c 4 "$f" | od -An -tx1 | tr -d " \n")
		case $magic in
		7f454c46 | feedface | feedfacf | cefaedfe | cffaedfe | 4d5a*) echo "$f" ;;
		esac
	done' sh)
if [ -n "$exes" ]; then
	echo "tracked compiled executables (build outputs belong in .gitignore):"
	echo "$exes"
	status=1
fi

if git grep -n -I -e '\.\./shar[e]d' -- ':!scripts/check-repo.sh' >/dev/null; then
	echo "tracked files that point into the shared reading folder beside the repository, which users do not have:"
	git grep -n -I -e '\.\./shar[e]d' -- ':!scripts/check-repo.sh'
	status=1
fi

for f in examples/*/main.go; do
	n=$(wc -l <"$f")
	if [ "$n" -gt 250 ]; then
		echo "$f has $n lines, more than 250: move reusable logic into a package"
		status=1
	fi
done
exit $status
