package io.postern.config;

/**
 * What a message gets when a milter cannot answer: {@code tempfail} (the client retries later;
 * the safe default) or {@code accept} (mail flows unfiltered while the milter is down).
 */
public enum MilterDefaultAction {
    TEMPFAIL,
    ACCEPT
}
