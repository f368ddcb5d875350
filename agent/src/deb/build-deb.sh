#!/bin/sh
# Builds TARGET/pbx-agent_VERSION_all.deb from the build output and the repository's own files; downloads nothing.
# Usage: sh build-deb.sh VERSION TARGET REPOSITORY_ROOT JAR_TOOL   (the `deb` profile of agent/pom.xml, at package)
set -eu
[ $# -eq 4 ] || { echo "usage: build-deb.sh VERSION TARGET REPOSITORY_ROOT JAR_TOOL" >&2; exit 2; }
version=$1
target=$2
repo=$3
jar=$4
here=$(cd "$(dirname "$0")" && pwd)
stage=$target/deb/pbx-agent
deb=$target/pbx-agent_${version}_all.deb

for f in "$target/classes/org" "$target/pbx-agent.jar" "$target/node/lib" "$repo/etc/pbx-agent.properties" \
		"$repo/etc/systemd/pbx-agent.service" "$repo/ocf-scripts/install.sh" "$repo/ocf-scripts/pbx-ocf-lib.sh"; do
	[ -e "$f" ] || { echo "build-deb.sh: $f is missing" >&2; exit 1; }
done

rm -rf "$target/deb"
umask 022
mkdir -p "$stage/DEBIAN" "$stage/opt/pbx-agent/lib" "$stage/opt/pbx-agent/bin" "$stage/usr/bin" \
	"$stage/etc/pbx-agent" "$stage/lib/systemd/system" "$stage/usr/share/doc/pbx-agent" \
	"$stage/usr/share/man/man1" "$stage/usr/share/man/man8" "$stage/usr/share/lintian/overrides"

# The program. The jar of the build output names the demo's jars in its Class-Path; the node's jar holds the same
# classes with a Class-Path of exactly the jars in node/lib.
install -m 0644 "$target/node/lib/"*.jar "$stage/opt/pbx-agent/lib/"
manifest=$target/deb/MANIFEST.MF
{
	echo "Main-Class: org.pbxagent.agent.app.Main"
	echo "Implementation-Title: pbx-agent"
	echo "Implementation-Version: $version"
	# One jar per continuation line, the separating space first: a reader that joins lines wrongly still sees names.
	(cd "$stage/opt/pbx-agent" && ls lib/*.jar) | LC_ALL=C sort | sed -e '1s/^/Class-Path: /' -e '2,$s/^/  /'
} >"$manifest"
"$jar" --create --file "$stage/opt/pbx-agent/pbx-agent.jar" --manifest "$manifest" -C "$target/classes" .
chmod 0644 "$stage/opt/pbx-agent/pbx-agent.jar"
install -m 0755 "$repo/agent/src/main/dist/pbx-agent" "$stage/opt/pbx-agent/bin/pbx-agent"
ln -s /opt/pbx-agent/bin/pbx-agent "$stage/usr/bin/pbx-agent"

install -m 0644 "$repo/etc/pbx-agent.properties" "$repo/etc/logback.xml" "$stage/etc/pbx-agent/"
install -m 0644 "$repo/etc/systemd/pbx-agent.service" "$stage/lib/systemd/system/"
# Where Pacemaker looks: /usr/lib/ocf/resource.d/pbx/ (the agents and pbx-ocf-lib.sh, which they source from
# there) and /usr/sbin/fence_pbx_san.
DESTDIR=$stage sh "$repo/ocf-scripts/install.sh" >/dev/null

doc=$stage/usr/share/doc/pbx-agent
install -m 0644 "$here/README.Debian" "$here/copyright" "$doc/"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -R)/" "$here/changelog" | gzip -9n >"$doc/changelog.gz"
gzip -9n <"$here/pbx-agent.1" >"$stage/usr/share/man/man1/pbx-agent.1.gz"
gzip -9n <"$here/fence_pbx_san.8" >"$stage/usr/share/man/man8/fence_pbx_san.8.gz"
install -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/pbx-agent"

install -m 0644 "$here/conffiles" "$stage/DEBIAN/"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" "$here/control" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort \
	| xargs md5sum >DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/md5sums"

# Jars are compressed already: a light xz level costs little and saves little more.
dpkg-deb --root-owner-group -Zxz -z1 --build "$stage" "$deb" >/dev/null
echo "built $deb ($(du -k "$deb" | cut -f1) KiB)"
