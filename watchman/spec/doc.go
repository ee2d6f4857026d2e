// Package spec says what to watch, in Watchman's terms, for both backends:
// the Spec built from the user's Options (roots, include and ignore
// patterns, the default ignores, .watchmanconfig's ignore_dirs, and git's
// ignore files), its decisions for a walk, the Watchman expression it
// translates to, the Change and Batch types both backends deliver, and the
// file clock (FileTime) their time baselines are read with.
//
// Ignore files: unless Options.NoIgnoreFiles, the spec applies git's
// ignore files (.gitignore, info/exclude, the global excludes file; inside
// a git repository only) and .ignore files, by patterns as `git
// check-ignore --no-index` does, in both backends alike. Watched paths that
// they exclude are watched anyway. A changed ignore file changes the rules
// at once and is no change itself unless the spec selects it.
package spec
