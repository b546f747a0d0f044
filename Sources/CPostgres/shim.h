// libpq, PostgreSQL's reference client library (Debian: libpq-dev).
#include <postgresql/libpq-fe.h>
