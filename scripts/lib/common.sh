# Shared helpers for the set-up scripts. Sourced, not run.

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_node() {
  command -v node >/dev/null || die "Node.js $1 or newer is needed (https://nodejs.org or your distribution's nodejs)."
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  (( major >= $1 )) || die "Node.js $1 or newer is needed; this is $(node --version)."
}

# apt-get install the named Debian packages that are missing (only as root; otherwise say what to do).
ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  (( ${#missing[@]} == 0 )) && return 0
  [[ $(id -u) == 0 ]] || die "missing Debian packages: ${missing[*]} — install them (sudo apt-get install ${missing[*]}) and re-run."
  step "installing Debian packages: ${missing[*]}"
  if [[ ! -f /var/lib/apt/periodic/aperture-updated ]] || [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit) ]]; then
    apt-get update -qq
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/aperture-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm ci when package-lock.json changed since the last install. better-sqlite3 builds from source
# where its prebuilt binary cannot be downloaded; node-gyp then needs the local Node headers.
install_npm_packages() {
  local stamp=node_modules/.aperture-lock.sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]] && node -e "require('better-sqlite3')" 2>/dev/null; then
    return 0
  fi
  if [[ -d /usr/include/node ]]; then export npm_config_nodedir=/usr; fi
  step "installing npm packages (better-sqlite3 may compile for a minute or two)"
  # `npm install`, not `npm ci`: it installs the locked versions just the same, but this npm
  # writes lock files with only this OS's optional packages (biome, rollup binaries) and `npm ci`
  # then refuses the lock as "out of sync". It also updates an existing tree in place.
  npm install --no-audit --no-fund --loglevel=error
  node -e "require('better-sqlite3')" || die "better-sqlite3 did not build; see the npm output above"
  # Hash again: npm may have rewritten the lock file, and the stamp must match what is on disk.
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
}
