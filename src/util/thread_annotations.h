// Clang thread-safety analysis attributes
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), as LevelDB's
// port/thread_annotations.h. Empty on compilers without them (g++): the
// analysis runs in the clang builds (the sanitizer build in CI).
#ifndef LOGSVC_UTIL_THREAD_ANNOTATIONS_H_
#define LOGSVC_UTIL_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define LOGSVC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LOGSVC_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) LOGSVC_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY LOGSVC_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) LOGSVC_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) LOGSVC_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) LOGSVC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) LOGSVC_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) LOGSVC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) LOGSVC_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) LOGSVC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) LOGSVC_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) LOGSVC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS LOGSVC_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // LOGSVC_UTIL_THREAD_ANNOTATIONS_H_
