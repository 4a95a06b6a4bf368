package io.havnet.cli;

/** A user error: bad arguments, bad input files, bad values. Exit 2 with the message as one line. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
