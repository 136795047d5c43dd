#include "greet.h"

const char *greeting(void) { return "built in the sandbox:"; }
