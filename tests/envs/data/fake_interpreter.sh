#!/bin/sh
# A stand-in for dfrotz in tests: prints a prompt, then answers commands; "crash" exits with
# status 7, "hang" never answers. Its arguments (the story file ...) are ignored.
printf 'Fake game.\n\n>'
while read -r line; do
  case "$line" in
    crash) echo "fake interpreter: fatal error" >&2; exit 7 ;;
    hang) exec sleep 1000 ;;
    score) printf 'You have so far scored 0 out of a possible 0, in 1 turn.\n\n>' ;;
    *) printf 'Nothing happens.\n\n>' ;;
  esac
done
