import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Integration } from "./integration_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file bosa/v1/user.proto.
 */
export declare const file_bosa_v1_user: GenFile;
/**
 * CreateUserRequest names the new user.
 *
 * @generated from message bosa.v1.CreateUserRequest
 */
export type CreateUserRequest = Message<"bosa.v1.CreateUserRequest"> & {
    /**
     * Identifier of the user, unique within the BOSA client, e.g. "alice".
     *
     * @generated from field: string identifier = 1;
     */
    identifier: string;
};
/**
 * Describes the message bosa.v1.CreateUserRequest.
 * Use `create(CreateUserRequestSchema)` to create a new message.
 */
export declare const CreateUserRequestSchema: GenMessage<CreateUserRequest>;
/**
 * CreateUserResponse is the created user, secret included.
 *
 * @generated from message bosa.v1.CreateUserResponse
 */
export type CreateUserResponse = Message<"bosa.v1.CreateUserResponse"> & {
    /**
     * The new user; user.secret is set only here.
     *
     * @generated from field: bosa.v1.User user = 1;
     */
    user?: User | undefined;
};
/**
 * Describes the message bosa.v1.CreateUserResponse.
 * Use `create(CreateUserResponseSchema)` to create a new message.
 */
export declare const CreateUserResponseSchema: GenMessage<CreateUserResponse>;
/**
 * AuthenticateUserRequest holds a user's credentials.
 *
 * @generated from message bosa.v1.AuthenticateUserRequest
 */
export type AuthenticateUserRequest = Message<"bosa.v1.AuthenticateUserRequest"> & {
    /**
     * Identifier of the user, as given to CreateUser.
     *
     * @generated from field: string identifier = 1;
     */
    identifier: string;
    /**
     * The user's secret, as returned by CreateUser ("sk-user-...").
     *
     * @generated from field: string secret = 2;
     */
    secret: string;
};
/**
 * Describes the message bosa.v1.AuthenticateUserRequest.
 * Use `create(AuthenticateUserRequestSchema)` to create a new message.
 */
export declare const AuthenticateUserRequestSchema: GenMessage<AuthenticateUserRequest>;
/**
 * AuthenticateUserResponse is an issued token.
 *
 * @generated from message bosa.v1.AuthenticateUserResponse
 */
export type AuthenticateUserResponse = Message<"bosa.v1.AuthenticateUserResponse"> & {
    /**
     * The bearer token (a JWT).
     *
     * @generated from field: string token = 1;
     */
    token: string;
    /**
     * Token type; always "Bearer".
     *
     * @generated from field: string token_type = 2;
     */
    tokenType: string;
    /**
     * When the token expires.
     *
     * @generated from field: google.protobuf.Timestamp expires_at = 3;
     */
    expiresAt?: Timestamp | undefined;
    /**
     * Whether the token was revoked; false for a new token.
     *
     * @generated from field: bool is_revoked = 4;
     */
    isRevoked: boolean;
    /**
     * ID of the user the token belongs to.
     *
     * @generated from field: string user_id = 5;
     */
    userId: string;
    /**
     * ID of the BOSA client the token is valid with.
     *
     * @generated from field: string client_id = 6;
     */
    clientId: string;
};
/**
 * Describes the message bosa.v1.AuthenticateUserResponse.
 * Use `create(AuthenticateUserResponseSchema)` to create a new message.
 */
export declare const AuthenticateUserResponseSchema: GenMessage<AuthenticateUserResponse>;
/**
 * GetCurrentUserRequest has no fields: the user comes from the bearer token.
 *
 * @generated from message bosa.v1.GetCurrentUserRequest
 */
export type GetCurrentUserRequest = Message<"bosa.v1.GetCurrentUserRequest"> & {};
/**
 * Describes the message bosa.v1.GetCurrentUserRequest.
 * Use `create(GetCurrentUserRequestSchema)` to create a new message.
 */
export declare const GetCurrentUserRequestSchema: GenMessage<GetCurrentUserRequest>;
/**
 * GetCurrentUserResponse is the token's user.
 *
 * @generated from message bosa.v1.GetCurrentUserResponse
 */
export type GetCurrentUserResponse = Message<"bosa.v1.GetCurrentUserResponse"> & {
    /**
     * The user; user.secret is always empty here.
     *
     * @generated from field: bosa.v1.User user = 1;
     */
    user?: User | undefined;
};
/**
 * Describes the message bosa.v1.GetCurrentUserResponse.
 * Use `create(GetCurrentUserResponseSchema)` to create a new message.
 */
export declare const GetCurrentUserResponseSchema: GenMessage<GetCurrentUserResponse>;
/**
 * User is an end user of a BOSA client.
 *
 * @generated from message bosa.v1.User
 */
export type User = Message<"bosa.v1.User"> & {
    /**
     * User ID (a UUID).
     *
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * ID of the BOSA client the user belongs to.
     *
     * @generated from field: string client_id = 2;
     */
    clientId: string;
    /**
     * Identifier chosen at creation, unique within the client.
     *
     * @generated from field: string identifier = 3;
     */
    identifier: string;
    /**
     * The user's secret; set only in CreateUserResponse.
     *
     * @generated from field: string secret = 4;
     */
    secret: string;
    /**
     * Recognisable, non-secret form of the secret, e.g. "sk-user-...rQiTBUYo".
     *
     * @generated from field: string secret_preview = 5;
     */
    secretPreview: string;
    /**
     * Whether the user may act.
     *
     * @generated from field: bool is_active = 6;
     */
    isActive: boolean;
    /**
     * The user's integrations with third-party services.
     *
     * @generated from field: repeated bosa.v1.Integration integrations = 7;
     */
    integrations: Integration[];
};
/**
 * Describes the message bosa.v1.User.
 * Use `create(UserSchema)` to create a new message.
 */
export declare const UserSchema: GenMessage<User>;
/**
 * UserService manages the end users of the calling BOSA client (the API key)
 * and issues their tokens.
 *
 * @generated from service bosa.v1.UserService
 */
export declare const UserService: GenService<{
    /**
     * CreateUser registers a user. The response is the only place its secret is
     * ever shown. An existing identifier is ALREADY_EXISTS.
     *
     * @generated from rpc bosa.v1.UserService.CreateUser
     */
    createUser: {
        methodKind: "unary";
        input: typeof CreateUserRequestSchema;
        output: typeof CreateUserResponseSchema;
    };
    /**
     * AuthenticateUser exchanges a user's identifier and secret for a bearer
     * token, sent afterwards as `authorization: Bearer <token>` metadata.
     * Wrong credentials are UNAUTHENTICATED.
     *
     * @generated from rpc bosa.v1.UserService.AuthenticateUser
     */
    authenticateUser: {
        methodKind: "unary";
        input: typeof AuthenticateUserRequestSchema;
        output: typeof AuthenticateUserResponseSchema;
    };
    /**
     * GetCurrentUser returns the user the bearer token belongs to, with the
     * user's integrations.
     *
     * @generated from rpc bosa.v1.UserService.GetCurrentUser
     */
    getCurrentUser: {
        methodKind: "unary";
        input: typeof GetCurrentUserRequestSchema;
        output: typeof GetCurrentUserResponseSchema;
    };
}>;
