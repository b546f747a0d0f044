#include <sqlite3.h>
// SQLITE_STATIC / SQLITE_TRANSIENT are macros casting integers to function pointers, which Swift cannot import.
static inline sqlite3_destructor_type csqlite_static(void) { return (sqlite3_destructor_type)0; }
static inline sqlite3_destructor_type csqlite_transient(void) { return (sqlite3_destructor_type)-1; }
