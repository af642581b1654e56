/* tmfinv_datadir.h: where the shipped data files (profiles/NAME.json, openapi.json) are. */
#ifndef TMFINV_DATADIR_H
#define TMFINV_DATADIR_H

/* The data folder, in this order:
 *   1. $TMFINV_DATA_DIR when set and not empty (taken as given, even if it does not exist,
 *      so that a wrong value fails naming it);
 *   2. ../share/tmfinv beside the running executable (/proc/self/exe), when it is a folder:
 *      an installed tmfinv under any prefix (/usr/bin/tmfinv → /usr/share/tmfinv);
 *   3. the source tree's data/ folder, only when the executable lies inside the build tree
 *      it was built from and the build allowed it (CMake TMFINV_BUILD_TREE_DATA), so that
 *      build/tmfinv works from a checkout without installing.
 * New string in *out (free() it). Fails with TMFINV_ENOTFOUND and a one-line message naming
 * the places it looked when none holds. */
int tmfinv_datadir_get(char **out);

#endif
