package io.postern.milter;

/**
 * The numbers of the milter protocol, version 6: command and reply codes, the action flags a
 * milter may ask for, the protocol flags that leave out steps or replies, macro stages.
 */
final class MilterProtocol {
    static final int VERSION = 6;

    // Commands, MTA to milter.
    static final byte OPTNEG = 'O';
    static final byte MACRO = 'D';
    static final byte CONNECT = 'C';
    static final byte HELO = 'H';
    static final byte MAIL = 'M';
    static final byte RCPT = 'R';
    static final byte DATA = 'T';
    static final byte HEADER = 'L';
    static final byte EOH = 'N';
    static final byte BODY = 'B';
    static final byte EOM = 'E';
    static final byte ABORT = 'A';
    static final byte QUIT = 'Q';

    // Replies, milter to MTA.
    static final byte ADD_RECIPIENT = '+';
    static final byte DELETE_RECIPIENT = '-';
    static final byte ADD_RECIPIENT_WITH_ARGS = '2';
    static final byte SHUTDOWN = '6';
    static final byte ACCEPT = 'a';
    static final byte REPLACE_BODY = 'b';
    static final byte CONTINUE = 'c';
    static final byte DISCARD = 'd';
    static final byte CHANGE_SENDER = 'e';
    static final byte CONNECTION_FAIL = 'f';
    static final byte ADD_HEADER = 'h';
    static final byte INSERT_HEADER = 'i';
    static final byte SET_MACRO_LIST = 'l';
    static final byte CHANGE_HEADER = 'm';
    static final byte PROGRESS = 'p';
    static final byte QUARANTINE = 'q';
    static final byte REJECT = 'r';
    static final byte SKIP = 's';
    static final byte TEMPFAIL = 't';
    static final byte REPLY_CODE = 'y';

    // Actions (SMFIF_*): every one Postern can apply.
    static final int ACTION_ADD_HEADERS = 0x01;
    static final int ACTION_CHANGE_BODY = 0x02;
    static final int ACTION_ADD_RECIPIENT = 0x04;
    static final int ACTION_DELETE_RECIPIENT = 0x08;
    static final int ACTION_CHANGE_HEADERS = 0x10;
    static final int ACTION_QUARANTINE = 0x20;
    static final int ACTION_CHANGE_SENDER = 0x40;
    static final int ACTION_ADD_RECIPIENT_WITH_ARGS = 0x80;
    static final int ACTION_SET_MACRO_LIST = 0x100;
    static final int ACTIONS_OFFERED = 0x1FF;

    // Protocol flags (SMFIP_*): steps the milter does not want, and steps it will not answer.
    static final int NO_CONNECT = 0x01;
    static final int NO_HELO = 0x02;
    static final int NO_MAIL = 0x04;
    static final int NO_RCPT = 0x08;
    static final int NO_BODY = 0x10;
    static final int NO_HEADERS = 0x20;
    static final int NO_EOH = 0x40;
    static final int NO_HEADER_REPLY = 0x80;
    static final int NO_UNKNOWN = 0x100;
    static final int NO_DATA = 0x200;
    static final int SKIP_ALLOWED = 0x400;
    static final int NO_CONNECT_REPLY = 0x1000;
    static final int NO_HELO_REPLY = 0x2000;
    static final int NO_MAIL_REPLY = 0x4000;
    static final int NO_RCPT_REPLY = 0x8000;
    static final int NO_DATA_REPLY = 0x10000;
    static final int NO_UNKNOWN_REPLY = 0x20000;
    static final int NO_EOH_REPLY = 0x40000;
    static final int NO_BODY_REPLY = 0x80000;
    /**
     * Offered: every step may be left out or left unanswered (we never send unknown commands, so
     * leaving them unanswered is free), and skip is understood. Not offered:
     * rejected recipients (we ask after RCPT was accepted), leading-space headers (we strip the
     * one space after the colon and add it back, as Sendmail does), unknown commands, 256K/1M bodies.
     */
    static final int PROTOCOL_OFFERED = NO_CONNECT | NO_HELO | NO_MAIL | NO_RCPT | NO_BODY | NO_HEADERS | NO_EOH
            | NO_HEADER_REPLY | NO_UNKNOWN | NO_DATA | SKIP_ALLOWED | NO_CONNECT_REPLY | NO_HELO_REPLY
            | NO_MAIL_REPLY | NO_RCPT_REPLY | NO_DATA_REPLY | NO_UNKNOWN_REPLY | NO_EOH_REPLY | NO_BODY_REPLY;

    /** Body chunk limit of the protocol (MILTER_CHUNK_SIZE). */
    static final int MAX_BODY_CHUNK = 65535;

    private MilterProtocol() {
    }
}
