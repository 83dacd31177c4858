// ctest-labels: unit datasets
/* sgp import d4rl|minari: files written by python3-h5py in both layouts are imported and compared
 * with numpy against the source arrays (episode splits, dropped rows, flags, qpos/qvel), and bad
 * files fail with one line naming the file and key (tests/fixtures/import/check_import.py). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char *py = tu_python_numpy();
  char cmd[2048], out[16384];
  if (!py || tu_system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1", NULL, 0) != 0) {
    printf("SKIP: python3 with numpy and h5py not found (scripts/deps.sh --test installs python3-h5py)\n");
    return tu_done("test_import");
  }
  char *dir = tu_tmpdir("import");
  snprintf(cmd, sizeof cmd, "%s %s/tests/fixtures/import/check_import.py %s %s", py, tu_source_dir(), tu_prog(), dir);
  int rc = tu_system(cmd, out, sizeof out);
  printf("%s", out);
  CHECK(rc == 0 && strstr(out, "all ok"), "import checks (see above)");
  tu_rmtree(dir);
  free(dir);
  return tu_done("test_import");
}
