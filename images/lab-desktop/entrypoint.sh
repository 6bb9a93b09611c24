#!/bin/bash
# Entrypoint of aperture/lab-desktop: Xvfb on :1, the JWM window manager, one xterm, and x11vnc
# serving the display on port 5901. The container ends when Xvfb or x11vnc ends (so it is
# restarted); an xterm the student closes is not restarted (JWM's menu opens another).
#
# Environment (all optional):
#   GEOMETRY       screen size (default 1280x800)
#   VNC_PASSWORD   set: VNC clients need it (VNC authentication); unset: no password, for a VNC port
#                  that only Aperture's authenticating proxy reaches
#   VNC_PORT       default 5901
set -euo pipefail

display=${DISPLAY:-:1}
port=${VNC_PORT:-5901}
geometry=${GEOMETRY:-1280x800}
log() { printf 'lab-desktop: %s\n' "$*" >&2; }

# -nolisten tcp: clients use the Unix socket in /tmp/.X11-unix (made here: a non-root X server
# refuses to create it). Keymaps compile into /tmp.
mkdir -p -m 1777 /tmp/.X11-unix
Xvfb "$display" -screen 0 "${geometry}x24" -nolisten tcp -noreset &
xvfb=$!
for _ in $(seq 100); do
  [[ -S /tmp/.X11-unix/X${display#:} ]] && break
  kill -0 "$xvfb" 2>/dev/null || { log "Xvfb exited"; exit 1; }
  sleep 0.1
done
export DISPLAY=$display

jwm &
(cd "$HOME" && exec xterm -geometry 100x30+40+40) &

auth=(-nopw)
if [[ -n ${VNC_PASSWORD:-} ]]; then
  x11vnc -storepasswd "$VNC_PASSWORD" /tmp/.vncpasswd >/dev/null 2>&1
  auth=(-rfbauth /tmp/.vncpasswd)
fi
# -forever -shared: stay up across client disconnects, allow several viewers (e.g. two browser tabs).
x11vnc -display "$display" -rfbport "$port" "${auth[@]}" -forever -shared -noxdamage \
  -quiet -norc -noipv6 &
vnc=$!

# Whichever of Xvfb and x11vnc ends first ends the container.
wait -n "$xvfb" "$vnc"
status=$?
log "Xvfb or x11vnc exited ($status)"
exit "$status"
