/* Test plugin "noentry": a shared object without rapport_plugin_entry. */
int rapport_not_the_entry(void) { return 42; }
