package io.postern.admin;

/** Answers requests on one admin socket; runs on a virtual thread, so it may block on disk. */
@FunctionalInterface
public interface AdminRoute {
    AdminReply handle(AdminRequest request);
}
