# /etc/bash.bashrc of aperture/lab-shell: read by every interactive bash (the browser terminal).
[ -z "$PS1" ] && return
shopt -s checkwinsize histappend
HISTSIZE=5000
PS1='\[\e[1;32m\]\u@\h\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ '
alias ls='ls --color=auto' ll='ls -alF' la='ls -A' grep='grep --color=auto'
[ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
