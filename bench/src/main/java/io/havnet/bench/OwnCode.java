package io.havnet.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One copy of a benchmark's code per variant. The JIT profiles a method, not a variant: when
 * several variants (rings of different kinds, bursts of 1 and 32, pools with and without a cache)
 * run through one method, it is compiled for whichever had run by then, and which code a variant
 * gets changes from one JVM to the next. A copy defined from the template's class file as a hidden
 * class of its own has the same code but its own profile and compiled code — what JMH gets by
 * forking a JVM per benchmark, while the variants still take turns in one run.
 */
final class OwnCode {
    private OwnCode() {}

    /**
     * The constructor of a fresh copy of {@code template}, typed to return {@code as}.
     *
     * @param host a full-privilege lookup in the template's nest host (the class it is nested in),
     *             so the copy keeps access to that class's private members
     */
    static MethodHandle constructor(MethodHandles.Lookup host, Class<?> template, Class<?> as, Class<?>... params) {
        String file = template.getName().substring(template.getPackageName().length() + 1) + ".class";
        try (InputStream in = template.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("bench: class file " + file + " not found");
            }
            MethodHandles.Lookup copy = host.defineHiddenClass(in.readAllBytes(), true,
                    MethodHandles.Lookup.ClassOption.NESTMATE);
            return copy.findConstructor(copy.lookupClass(), MethodType.methodType(void.class, params))
                    .asType(MethodType.methodType(as, params));
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("bench: cannot copy " + template.getSimpleName() + ": " + e, e);
        }
    }

    /** Invokes a constructor from {@link #constructor}. */
    static <T> T make(MethodHandle constructor, Class<T> as, Object... args) {
        try {
            return as.cast(constructor.invokeWithArguments(args));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
