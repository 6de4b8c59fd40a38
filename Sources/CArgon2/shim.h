// The system libargon2 (Debian: libargon2-dev), used only by the Auth module.
#include <argon2.h>
