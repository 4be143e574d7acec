/** A modal question before something that cannot be undone (revoking a token, deleting an agent). */
import type { ReactNode } from 'react';

export interface ConfirmDialogProps {
  readonly title: string;
  readonly children: ReactNode;
  /** The confirming button's label: says what happens ("Revoke", "Delete web-1"). */
  readonly confirm: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-dialog-title" data-testid="confirm-dialog">
        <h2 id="confirm-dialog-title">{props.title}</h2>
        {props.children}
        <div className="toolbar">
          <button autoFocus onClick={props.onCancel} data-testid="confirm-cancel">
            Cancel
          </button>
          <button className="danger" onClick={props.onConfirm} data-testid="confirm-ok">
            {props.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
