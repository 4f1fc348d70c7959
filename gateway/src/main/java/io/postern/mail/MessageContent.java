package io.postern.mail;

import java.io.IOException;
import java.io.InputStream;

/**
 * The stored bytes of a message (CRLF line ends, trace headers included), readable any number of
 * times, as a stream: a message is never held in heap whole.
 */
public interface MessageContent {
    InputStream open() throws IOException;

    long size();
}
